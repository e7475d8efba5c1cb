"""`nav lsp`: nav's index, resolution and call graph behind the Language Server Protocol.

`source` parses editor buffers and indexed files with tree-sitter, `resolve` works out what
the name under the cursor means (with a small flow analysis), `server` speaks LSP via pygls.
"""
