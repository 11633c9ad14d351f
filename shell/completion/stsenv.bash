# TAB completion for stsenv in bash. The hook loads it by itself at the first TAB; without
# the hook: eval "$(stsenv completion bash)" in ~/.bashrc, or save the output of
# `stsenv completion bash` as ~/.local/share/bash-completion/completions/stsenv.
# The candidates come from the program (`stsenv __complete`), built from the same table as
# its verbs and options: this only hands it the words up to the cursor and reads back one
# candidate per line.
__stsenv_complete() {
    \builtin local __stsenv_cur=${COMP_WORDS[COMP_CWORD]-} __stsenv_word __stsenv_q='' __stsenv_i
    # The program gets the word as the command will see it, without the user's quoting:
    # inside an opened quote, or with backslashes.
    case $__stsenv_cur in
    \'*) __stsenv_q=\' __stsenv_word=${__stsenv_cur#\'} ;;
    \"*) __stsenv_q=\" __stsenv_word=${__stsenv_cur#\"} ;;
    *)
        __stsenv_word=
        while [[ $__stsenv_cur == *\\* ]]; do
            __stsenv_word+=${__stsenv_cur%%\\*}
            __stsenv_cur=${__stsenv_cur#*\\}
            __stsenv_word+=${__stsenv_cur:0:1}
            __stsenv_cur=${__stsenv_cur:1}
        done
        __stsenv_word+=$__stsenv_cur
        ;;
    esac
    \builtin mapfile -t COMPREPLY < <(
        \command stsenv __complete bash "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$__stsenv_word" 2>/dev/null
    )
    # bash inserts a candidate as it is: a name like `x$(cmd)` would run once the line is
    # entered. Each is quoted for where it goes: after an opened ' or ", or as a bare word
    # (`printf %q` leaves plain names as they are).
    for __stsenv_i in "${!COMPREPLY[@]}"; do
        case $__stsenv_q in
        \') COMPREPLY[__stsenv_i]=${COMPREPLY[__stsenv_i]//\'/\'\\\'\'} ;;
        \")
            __stsenv_cur=${COMPREPLY[__stsenv_i]//\\/\\\\}
            __stsenv_cur=${__stsenv_cur//\$/\\\$}
            __stsenv_cur=${__stsenv_cur//\`/\\\`}
            COMPREPLY[__stsenv_i]=${__stsenv_cur//\"/\\\"}
            ;;
        *) \builtin printf -v "COMPREPLY[__stsenv_i]" '%q' "${COMPREPLY[__stsenv_i]}" ;;
        esac
    done
}
\builtin complete -F __stsenv_complete stsenv
