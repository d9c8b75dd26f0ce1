// Stands in for the MCP SDK's Ajv validator in dist/mcp.js: the SDK uses it only to check answers to elicitation
// requests, which this server never makes, and Ajv would add about a third to the bundle (and the .vsix).
export class AjvJsonSchemaValidator {
  getValidator(): never {
    throw new Error('This MCP server does not validate JSON schemas (it never asks the client for input).');
  }
}
