-- Neovim's built-in LSP client asks `nav lsp` where `learn.fine_tune` is defined and jumps there.
-- Driven by test_lsp_neovim.py: NAV_NVIM_SCRIPT (the file to open), NAV_NVIM_LINE/COL (1-based line,
-- 0-based column of the cursor), NAV_NVIM_PYTHON, NAV_NVIM_OUT (where to write "file:line").
local function finish(text)
  local out = io.open(vim.env.NAV_NVIM_OUT, "w")
  out:write(text)
  out:close()
  vim.cmd("qall!")
end

vim.cmd("edit " .. vim.fn.fnameescape(vim.env.NAV_NVIM_SCRIPT))
local client_id = vim.lsp.start_client({
  name = "nav",
  cmd = { vim.env.NAV_NVIM_PYTHON, "-m", "navigator", "lsp" },
  root_dir = vim.fn.fnamemodify(vim.env.NAV_NVIM_SCRIPT, ":h"),
})
if not client_id then finish("error: the client did not start") return end
vim.lsp.buf_attach_client(0, client_id)
local ready = vim.wait(60000, function()
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and client.server_capabilities ~= nil and client.server_capabilities.definitionProvider ~= nil
end, 50)
if not ready then finish("error: the server did not initialise") return end

local script = vim.api.nvim_buf_get_name(0)
vim.api.nvim_win_set_cursor(0, { tonumber(vim.env.NAV_NVIM_LINE), tonumber(vim.env.NAV_NVIM_COL) })
vim.lsp.buf.definition()
local jumped = vim.wait(60000, function() return vim.api.nvim_buf_get_name(0) ~= script end, 50)
if not jumped then finish("error: no jump from " .. script) return end
finish(vim.api.nvim_buf_get_name(0) .. ":" .. vim.api.nvim_win_get_cursor(0)[1])
