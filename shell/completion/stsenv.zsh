#compdef stsenv
# TAB completion for stsenv in zsh. The hook loads it by itself at the first TAB; without
# the hook: eval "$(stsenv completion zsh)" after compinit in ~/.zshrc, or save the output
# of `stsenv completion zsh` as _stsenv in a directory of $fpath.
# The candidates ("value:description") come from the program (`stsenv __complete`), built
# from the same table as its verbs and options.
_stsenv() {
    \builtin local -a __stsenv_candidates
    # The word under the cursor as the command will see it: $PREFIX$SUFFIX, without the
    # user's quoting (compadd quotes what it inserts by itself).
    __stsenv_candidates=(${(f)"$(\command stsenv __complete zsh "${(@)words[2,CURRENT-1]}" \
        "$PREFIX$SUFFIX" 2>/dev/null)"})
    _describe -t stsenv stsenv __stsenv_candidates
}
if [[ ${funcstack[1]-} == _stsenv ]]; then
    _stsenv "$@" # autoloaded from $fpath: this file is the body of _stsenv
else
    compdef _stsenv stsenv
fi
