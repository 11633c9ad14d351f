# stsenv as a zsh plugin (oh-my-zsh, zinit, antidote, zplug...): loads stsenv.zsh from this
# folder, with no `eval` and no Python at shell start-up. The `stsenv` program must be on
# PATH (pipx / uv tool install stsenv). Protocol: README.md next to this file.
#
#   oh-my-zsh: ln -s /path/to/stsenv/shell $ZSH_CUSTOM/plugins/stsenv; plugins+=(stsenv)
#   zinit:     zinit ice pick"shell/stsenv.plugin.zsh"; zinit light <repo>
#   antidote:  <repo> path:shell   (in ~/.zsh_plugins.txt)
#
# %x is the file being sourced, whatever the plugin manager did to $0.
\builtin source "${${(%):-%x}:A:h}/stsenv.zsh"
