"""The codemod engine: the registry of codemods, the libcst step framework, applying to a checkout (with undo), notebooks."""
