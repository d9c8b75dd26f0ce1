// Types for the two codec parts background removal loads on their own (the packages' full entry points weigh 3× more).

declare module 'jpeg-js/lib/decoder' {
  const decode: typeof import('jpeg-js').decode;
  export = decode;
}

declare module 'pngjs/lib/packer-sync' {
  /** PNG bytes of `data` (pixels in `inputColorType`, RGBA by default), written as `colorType`. */
  function packSync(
    image: { readonly width: number; readonly height: number; readonly data: Buffer },
    options?: { colorType?: 0 | 2 | 4 | 6; inputColorType?: 0 | 2 | 4 | 6; bitDepth?: 8 | 16; deflateLevel?: number; filterType?: -1 | 0 | 1 | 2 | 3 | 4 },
  ): Buffer;
  export = packSync;
}
