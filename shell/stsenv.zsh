# stsenv hook for zsh: eval "$(stsenv hook zsh)" in ~/.zshrc (or source this file).
# Protocol: shell/README.md. Private names start with __stsenv_. Builtins are called as
# `\builtin NAME` so that a user's aliases named like them (expanded when this file is
# parsed) cannot change what runs; globals are set with `typeset -g` so that
# WARN_CREATE_GLOBAL stays quiet. Safe to load twice.

# The wrapper: only verbs that change the environment are evaluated, and only on success.
# No `emulate -L zsh` here: the eval'd code draws the prompt, which must see the user's
# prompt options (PROMPT_SUBST...), and options are inherited by called functions.
stsenv() {
    \builtin local __stsenv_out __stsenv_rc=0
    case ${1-} in
    (use | clear | refresh)
        # The program runs with the baseline (restored in this subshell only), so a second
        # `use` starts from the user's own credentials. Nothing changes here unless it exits 0;
        # Ctrl-C aborts the whole function before the eval.
        __stsenv_out=$(
            __stsenv_restore
            STSENV_SHELL=zsh \command stsenv "$@"
        ) || __stsenv_rc=$?
        if ((__stsenv_rc != 0)); then
            \builtin return $__stsenv_rc
        fi
        # The printed code describes "baseline + this role": start from the baseline.
        __stsenv_restore
        # Parsed with aliases off (for this function only): an alias named `export` must
        # not see, or print, the secrets.
        \builtin setopt local_options no_aliases
        \builtin eval "$__stsenv_out"
        ;;
    (*)
        \command stsenv "$@"
        ;;
    esac
}

# Record the current value (or "was unset") of each NAME not recorded yet, in shell
# parameters that are never exported (the baseline may hold long-term keys).
__stsenv_save() {
    \builtin emulate -L zsh
    \builtin local __stsenv_n
    for __stsenv_n in "$@"; do
        # Names reach ${(P)n}, which evaluates subscripts: identifiers only.
        case $__stsenv_n in
        ('' | [^A-Z_]* | *[^A-Z0-9_]*) \builtin continue ;;
        esac
        case " ${__stsenv_saved-} " in
        (*" $__stsenv_n "*) \builtin continue ;;
        esac
        \builtin typeset -g +x __stsenv_saved="${__stsenv_saved-}${__stsenv_saved:+ }$__stsenv_n"
        if ((${(P)+__stsenv_n})); then
            # +x: ALL_EXPORT would export it; the baseline stays in this shell.
            \builtin typeset -g +x "__stsenv_old_$__stsenv_n=${(P)__stsenv_n}"
        else
            \builtin unset "__stsenv_old_$__stsenv_n"
        fi
    done
}

# Put the baseline back (old bytes, or unset) and forget it; silent.
__stsenv_restore() {
    \builtin emulate -L zsh
    \builtin local __stsenv_n __stsenv_v
    if ((${+__stsenv_saved})); then
        for __stsenv_n in ${(s: :)__stsenv_saved}; do
            __stsenv_v=__stsenv_old_$__stsenv_n
            if ((${(P)+__stsenv_v})); then
                \builtin export "$__stsenv_n=${(P)__stsenv_v}"
                \builtin unset "$__stsenv_v"
            else
                \builtin unset "$__stsenv_n"
            fi
        done
        \builtin unset __stsenv_saved
    elif [[ -n ${STSENV_VARS-} ]]; then
        # A role inherited from a parent shell: no baseline here, so drop its names.
        for __stsenv_n in ${(s: :)STSENV_VARS}; do
            case $__stsenv_n in
            ('' | [^A-Z_]* | *[^A-Z0-9_]*) ;;
            (*) \builtin unset "$__stsenv_n" ;;
            esac
        done
    fi
    __stsenv_ps1_remove
    \builtin unset STSENV_SEGMENT __stsenv_expiry __stsenv_role __stsenv_minutes \
        __stsenv_prompt_off __stsenv_ps1_text
}

# Start showing the role that the eval'd code just exported.
__stsenv_activate() {
    # zsh arithmetic on text runs code hidden in it ("a[$(cmd)]"): accept plain digits
    # only, and keep a checked copy for the prompt hook.
    case ${STSENV_EXPIRY-} in
    ('' | 0* | *[^0-9]*)
        \builtin print -ru2 -- 'stsenv: STSENV_EXPIRY is not a time in epoch seconds; role cleared'
        __stsenv_restore
        \builtin return 1
        ;;
    esac
    \builtin typeset -g __stsenv_expiry=$STSENV_EXPIRY __stsenv_role=${STSENV_ROLE-}
    \builtin typeset -g __stsenv_minutes=-1 # forces the first draw
    \builtin typeset -g __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    __stsenv_prompt_tick
}

# The clock without a process: zsh/datetime's EPOCHSECONDS.
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

# Runs before every prompt (precmd). Spawns no process. zsh hands every precmd function
# the user's $? and restores it for the prompt itself, so this returns 0: under ERR_EXIT
# a non-zero status here would end the shell.
__stsenv_prompt_hook() {
    [[ -z ${__stsenv_expiry-} ]] || __stsenv_prompt_tick
    \builtin return 0
}

__stsenv_prompt_tick() {
    # Integers: FORCE_FLOAT would otherwise show "59.5m".
    # (Only a zsh without zsh/datetime would run `date`, once per prompt.)
    \builtin local -i __stsenv_left=$((__stsenv_expiry - ${EPOCHSECONDS:-$(\command date +%s)}))
    if ((__stsenv_left <= 0)); then
        \builtin print -ru2 -- "stsenv: role $__stsenv_role expired; its credentials were cleared"
        __stsenv_restore
    elif ((__stsenv_left / 60 != __stsenv_minutes)) ||
        [[ ${STSENV_DISABLE_PROMPT-} != "${__stsenv_prompt_off-}" || $PS1 != "${__stsenv_ps1_inserted-}"* ]]; then
        # Only when the minute, the opt-out, or PS1 (rewritten by another tool) changed.
        __stsenv_draw $((__stsenv_left / 60))
    fi
    \builtin return 0
}

__stsenv_draw() {
    \builtin typeset -g __stsenv_minutes=$1 __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    \builtin typeset -g STSENV_SEGMENT="$__stsenv_role ${1}m"
    __stsenv_ps1_remove
    [[ $__stsenv_prompt_off != 1 ]] || \builtin return 0
    # The role name comes from user config and must reach the prompt inert. Prompt
    # expansion runs `$` (PROMPT_SUBST) first, then `!` (PROMPT_BANG), then `%`
    # (PROMPT_PERCENT) over the result: escape the last two in the text itself...
    \builtin local __stsenv_text="[$STSENV_SEGMENT] "
    if [[ -o promptbang ]]; then
        __stsenv_text=${__stsenv_text//\!/!!}
    fi
    if [[ -o promptpercent ]]; then
        __stsenv_text=${__stsenv_text//\%/%%}
    fi
    if [[ -o promptsubst ]]; then
        # ...and under PROMPT_SUBST insert a reference: an expanded value is not expanded
        # again, so `$(...)` and backticks in it stay text.
        \builtin typeset -g __stsenv_ps1_text=$__stsenv_text
        \builtin typeset -g __stsenv_ps1_inserted='${__stsenv_ps1_text-}'
    else
        \builtin typeset -g __stsenv_ps1_inserted=$__stsenv_text
    fi
    PS1=$__stsenv_ps1_inserted$PS1
}

# Strip exactly what __stsenv_draw inserted, so PS1 is byte-identical afterwards.
__stsenv_ps1_remove() {
    if [[ -n ${__stsenv_ps1_inserted-} && $PS1 == "$__stsenv_ps1_inserted"* ]]; then
        PS1=${PS1#"$__stsenv_ps1_inserted"}
    fi
    \builtin typeset -g __stsenv_ps1_inserted=
}

# `<role> <minutes>m` for custom prompts, computed now; nothing when no role is active.
stsenv_prompt() {
    \builtin emulate -L zsh
    [[ -n ${__stsenv_expiry-} ]] || \builtin return 0
    \builtin local -i __stsenv_left=$((__stsenv_expiry - EPOCHSECONDS))
    if ((__stsenv_left > 0)); then
        \builtin print -rn -- "$__stsenv_role $((__stsenv_left / 60))m"
    fi
}

# Install the prompt hook once (add-zsh-hook never adds a function twice).
\builtin autoload -Uz add-zsh-hook
add-zsh-hook precmd __stsenv_prompt_hook

# A role inherited from a parent shell is shown, and cleared at its expiry, here too.
if [[ -n ${STSENV_EXPIRY-} && -z ${__stsenv_expiry-} ]]; then
    __stsenv_activate
fi
