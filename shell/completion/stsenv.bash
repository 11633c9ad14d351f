# TAB completion for stsenv in bash. The hook loads it by itself at the first TAB; without
# the hook: eval "$(stsenv completion bash)" in ~/.bashrc, or save the output of
# `stsenv completion bash` as ~/.local/share/bash-completion/completions/stsenv.
# The candidates come from the program (`stsenv __complete`), built from the same table as
# its verbs and options: this only hands it the words up to the cursor and reads back one
# candidate per line.
__stsenv_complete() {
    \builtin mapfile -t COMPREPLY < <(
        \command stsenv __complete bash "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null
    )
}
\builtin complete -F __stsenv_complete stsenv
