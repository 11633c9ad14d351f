# stsenv hook for bash: eval "$(stsenv hook bash)" in ~/.bashrc (or source this file).
# Protocol: shell/README.md. Private names start with __stsenv_. Safe to load twice.
# A user's aliases named like the builtins used here must not change what runs: this file
# is parsed with alias expansion off (restored at its end), and builtins are still called
# as `\builtin NAME` where a function might be defined after it.
__stsenv_aliases=0
if \builtin shopt -q expand_aliases; then __stsenv_aliases=1; fi
\builtin shopt -u expand_aliases
__stsenv_hook_version=0.1.0 # the program's version; `stsenv doctor` compares them

# The wrapper: only verbs that change the environment are evaluated, and only on success.
stsenv() {
    \builtin local __stsenv_out __stsenv_rc=0 __stsenv_args
    case ${1-} in
    use | clear | refresh)
        # The program runs with the baseline (restored in this subshell only), so a second
        # `use` starts from the user's own credentials. Nothing changes here unless it exits 0;
        # Ctrl-C aborts the whole function before the eval.
        # `refresh` needs the active role's `use` arguments, which the baseline lacks.
        __stsenv_args=${STSENV_TARGET-}
        __stsenv_out=$(
            __stsenv_restore
            STSENV_SHELL=bash STSENV_REFRESH_ARGS=$__stsenv_args \command stsenv "$@"
        ) || __stsenv_rc=$?
        if ((__stsenv_rc != 0)); then
            \builtin return "$__stsenv_rc"
        fi
        # The printed code describes "baseline + this role": start from the baseline.
        __stsenv_restore
        # Parsed with aliases off: an alias named `export` must not see (or print) secrets.
        if \builtin shopt -q expand_aliases; then
            \builtin shopt -u expand_aliases
            \builtin eval "$__stsenv_out" || __stsenv_rc=$?
            \builtin shopt -s expand_aliases
        else
            \builtin eval "$__stsenv_out" || __stsenv_rc=$?
        fi
        \builtin return "$__stsenv_rc"
        ;;
    doctor)
        # doctor checks this hook from outside: tell it the shell, the hook's version and
        # where the prompt hook is installed (unexported shell state).
        STSENV_SHELL=bash STSENV_HOOK_VERSION=$__stsenv_hook_version \
            STSENV_PROMPT_HOOKS="${PROMPT_COMMAND[*]-} ${precmd_functions[*]-}" \command stsenv "$@"
        ;;
    *)
        \command stsenv "$@"
        ;;
    esac
}

# Record the current value (or "was unset") of each NAME not recorded yet, in shell
# variables that are never exported (the baseline may hold long-term keys).
__stsenv_save() {
    \builtin local __stsenv_n
    for __stsenv_n in "$@"; do
        # Names reach ${!n} and printf -v, which evaluate subscripts: identifiers only.
        case $__stsenv_n in
        '' | [!A-Z_]* | *[!A-Z0-9_]*) \builtin continue ;;
        esac
        case " ${__stsenv_saved-} " in
        *" $__stsenv_n "*) \builtin continue ;;
        esac
        __stsenv_saved="${__stsenv_saved-}${__stsenv_saved:+ }$__stsenv_n"
        if [[ -n ${!__stsenv_n+x} ]]; then
            \builtin printf -v "__stsenv_old_$__stsenv_n" '%s' "${!__stsenv_n}"
            # `set -a` would export it: the baseline stays in this shell.
            \builtin export -n "__stsenv_old_$__stsenv_n" __stsenv_saved
        else
            \builtin unset -v "__stsenv_old_$__stsenv_n"
        fi
    done
}

# Put the baseline back (old bytes, or unset) and forget it; silent.
__stsenv_restore() {
    \builtin local __stsenv_n __stsenv_v IFS=' '
    if [[ -n ${__stsenv_saved+x} ]]; then
        for __stsenv_n in $__stsenv_saved; do
            __stsenv_v=__stsenv_old_$__stsenv_n
            if [[ -n ${!__stsenv_v+x} ]]; then
                \builtin export "$__stsenv_n=${!__stsenv_v}"
                \builtin unset -v "$__stsenv_v"
            else
                \builtin unset -v "$__stsenv_n"
            fi
        done
        \builtin unset -v __stsenv_saved
    elif [[ -n ${STSENV_VARS-} ]]; then
        # A role inherited from a parent shell: no baseline here, so drop its names.
        for __stsenv_n in $STSENV_VARS; do
            case $__stsenv_n in
            '' | [!A-Z_]* | *[!A-Z0-9_]*) ;;
            *) \builtin unset -v "$__stsenv_n" ;;
            esac
        done
    fi
    __stsenv_ps1_remove
    \builtin unset -v STSENV_SEGMENT STSENV_SEGMENT_LEVEL __stsenv_role __stsenv_prompt_off \
        __stsenv_ps1_text
    __stsenv_expiry=0 __stsenv_next=0 __stsenv_minutes=-1 __stsenv_drawn='' __stsenv_warned=''
}

# Start showing the role that the eval'd code just exported.
__stsenv_activate() {
    # Bash arithmetic on text runs code hidden in it ("a[$(cmd)]"), and a leading 0 means
    # octal: accept plain digits only, and keep a checked copy for the prompt hook.
    case ${STSENV_EXPIRY-} in
    '' | 0* | *[!0-9]*)
        \builtin printf 'stsenv: STSENV_EXPIRY is not a time in epoch seconds; role cleared\n' >&2
        __stsenv_restore
        \builtin return 1
        ;;
    esac
    __stsenv_expiry=$STSENV_EXPIRY
    __stsenv_role=${STSENV_ROLE-}
    __stsenv_minutes=-1 # forces the first draw
    __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    __stsenv_tick activate
}

# Seconds since the epoch, without a process where bash allows it (bash >= 5 has
# $EPOCHSECONDS, read directly by the prompt hook).
__stsenv_clock() {
    if [[ -n ${EPOCHSECONDS-} ]]; then
        __stsenv_now=$EPOCHSECONDS
    elif ((BASH_VERSINFO[0] > 4 || BASH_VERSINFO[1] >= 2)); then
        \builtin printf -v __stsenv_now '%(%s)T' -1
    else
        # bash < 4.2 has no builtin clock: one `date` per prompt while a role is active.
        __stsenv_now=$(\command date +%s)
    fi
}

# Runs before every prompt and spawns no process. It keeps $?: it returns the status it
# was called with (PROMPT_COMMAND runs it as `... && :`, so `set -e` cannot end the shell).
# The usual prompt costs one arithmetic test and one string comparison: inactive, or
# before __stsenv_next (when the minute shown changes) with PS1 and the opt-out as this
# hook left them. Everything else, and every prompt of a bash without $EPOCHSECONDS
# (< 5.0), goes to __stsenv_tick.
if [[ -n ${EPOCHSECONDS-} ]]; then
    __stsenv_prompt_hook() {
        __stsenv_status=$?
        ((EPOCHSECONDS < __stsenv_next)) && [[ ${STSENV_DISABLE_PROMPT-}/${PS1-} == "$__stsenv_drawn" ]] ||
            ((!__stsenv_expiry)) || __stsenv_tick
        return $__stsenv_status # digits: no quotes, the cheapest return (aliases: see the top)
    }
else
    __stsenv_prompt_hook() {
        __stsenv_status=$?
        ((!__stsenv_expiry)) || __stsenv_tick
        return $__stsenv_status # digits: no quotes, the cheapest return (aliases: see the top)
    }
fi

# A role is active and something is due: a new minute, the expiry, or a prompt to redraw.
# ($1 is "activate" when a role was just exported: never renew it from there.)
__stsenv_tick() {
    \builtin local __stsenv_now
    __stsenv_clock
    if ((__stsenv_expiry <= __stsenv_now)); then
        \builtin printf 'stsenv: role %s expired; its credentials were cleared\n' "$__stsenv_role" >&2
        __stsenv_restore
        \builtin return 0
    fi
    __stsenv_draw $(((__stsenv_expiry - __stsenv_now) / 60))
    # Once per role: the last threshold is crossed (the minutes only change when
    # __stsenv_next is reached, so this costs the usual prompt nothing).
    if [[ $STSENV_SEGMENT_LEVEL == urgent && ${__stsenv_warned-} != "$__stsenv_expiry" ]]; then
        __stsenv_warned=$__stsenv_expiry
        # A role that starts inside the last threshold crossed nothing (the program has just
        # said how long it has): only a prompt says so, and only a prompt renews.
        [[ ${1-} == activate ]] || __stsenv_expiring
    fi
}

# Say that the role is about to expire; with STSENV_AUTO_REFRESH=1, at a prompt, renew it
# (the only time a prompt starts a process). The program asks no MFA code there: when one
# is needed, the renewal fails with its own one-line message and the role runs out.
__stsenv_expiring() {
    # shellcheck disable=SC2016 # the backticks are text
    \builtin printf 'stsenv: %s expires in %sm — `stsenv refresh` to renew\n' \
        "$__stsenv_role" "$__stsenv_minutes" >&2
    if [[ ${STSENV_AUTO_REFRESH-} == 1 ]]; then
        \builtin printf 'stsenv: renewing %s (STSENV_AUTO_REFRESH=1)\n' "$__stsenv_role" >&2
        # Exported for the program, for this function only (a plain `VAR=1 stsenv` would
        # outlive the call in POSIX mode).
        \builtin local STSENV_NO_INPUT=1
        # shellcheck disable=SC2034 # read by the program
        \builtin export STSENV_NO_INPUT
        stsenv refresh || :
    fi
}

# A threshold from the environment: digits only (arithmetic on text runs code), else $2;
# into the caller's local __stsenv_setting.
__stsenv_minutes_setting() {
    case $1 in
    '' | *[!0-9]* | ?????*) __stsenv_setting=$2 ;;
    *) __stsenv_setting=$((10#$1)) ;;
    esac
}

__stsenv_draw() {
    \builtin local __stsenv_setting __stsenv_text __stsenv_on='' __stsenv_off=''
    __stsenv_minutes=$1
    # The second at which the minute shown changes (for the last minute: the expiry). The
    # style only changes with the minute, so this is the next second anything shown changes.
    __stsenv_next=$((__stsenv_expiry - ($1 > 0 ? $1 * 60 - 1 : 0)))
    __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    # For custom prompts (p10k, starship...): the bare segment and its style.
    # shellcheck disable=SC2034 # read by the user's prompt
    STSENV_SEGMENT="$__stsenv_role ${1}m"
    STSENV_SEGMENT_LEVEL=normal
    __stsenv_minutes_setting "${STSENV_URGENT_MINUTES-}" 5
    if (($1 < __stsenv_setting)); then
        STSENV_SEGMENT_LEVEL=urgent
    else
        __stsenv_minutes_setting "${STSENV_WARN_MINUTES-}" 10
        if (($1 < __stsenv_setting)); then
            STSENV_SEGMENT_LEVEL=warning
        fi
    fi
    __stsenv_ps1_remove
    __stsenv_drawn=$__stsenv_prompt_off/${PS1-}
    [[ $__stsenv_prompt_off != 1 ]] || \builtin return 0
    # A prompt framework that draws its own segment (starship's aws module reads
    # AWS_CREDENTIAL_EXPIRATION): stand aside, unless STSENV_DISABLE_PROMPT=0 asks for it.
    [[ $__stsenv_prompt_off == 0 || -z ${STARSHIP_SHELL-} ]] || \builtin return 0
    # The format is user data like the role name: placeholders are replaced as plain text
    # (quoted replacements: bash 5.2's patsub_replacement would expand `&`), and the result
    # is made inert below. Minutes first, so a role name containing "{minutes}" stays as is.
    __stsenv_text=${STSENV_PROMPT_FORMAT:-"[{role} {minutes}m] "}
    __stsenv_text=${__stsenv_text//"{minutes}"/"$1"}
    __stsenv_text=${__stsenv_text//"{role}"/"$__stsenv_role"}
    # Colours come from here only, wrapped in \[ \] so that readline does not count them.
    if [[ $STSENV_SEGMENT_LEVEL != normal && -z ${NO_COLOR-} && ${TERM-} != dumb ]]; then
        __stsenv_off='\[\e[0m\]'
        __stsenv_on='\[\e[33m\]'
        [[ $STSENV_SEGMENT_LEVEL != urgent ]] || __stsenv_on='\[\e[1;31m\]'
    fi
    # The role name comes from user config and must reach the prompt inert.
    if \builtin shopt -q promptvars; then
        # PS1 gets a reference: bash decodes `\` escapes before it expands parameters, and
        # an expanded value is not expanded again, so `$(...)`, backticks and `\w` stay text.
        __stsenv_ps1_text=$__stsenv_text
        # shellcheck disable=SC2016 # the reference is meant literally
        __stsenv_ps1_inserted=$__stsenv_on'${__stsenv_ps1_text-}'$__stsenv_off
    else
        # No expansion at all: only the prompt's backslash escapes remain to neutralise.
        \builtin local __stsenv_bs=\\
        __stsenv_text=${__stsenv_text//"$__stsenv_bs"/"$__stsenv_bs$__stsenv_bs"}
        if [[ :$SHELLOPTS: == *:posix:* ]]; then # POSIX mode: `!` is the history number
            __stsenv_text=${__stsenv_text//"!"/"!!"}
        fi
        __stsenv_ps1_inserted=$__stsenv_on$__stsenv_text$__stsenv_off
    fi
    PS1=$__stsenv_ps1_inserted${PS1-}
    __stsenv_drawn=$__stsenv_prompt_off/$PS1
}

# Strip exactly what __stsenv_draw inserted, so PS1 is byte-identical afterwards.
__stsenv_ps1_remove() {
    if [[ -n ${__stsenv_ps1_inserted-} && ${PS1-} == "$__stsenv_ps1_inserted"* ]]; then
        PS1=${PS1#"$__stsenv_ps1_inserted"}
    fi
    __stsenv_ps1_inserted=
}

# `<role> <minutes>m` for custom prompts, computed now; nothing when no role is active.
stsenv_prompt() {
    \builtin local __stsenv_now
    ((__stsenv_expiry)) || \builtin return 0
    __stsenv_clock
    if ((__stsenv_expiry > __stsenv_now)); then
        \builtin printf '%s %sm' "$__stsenv_role" $(((__stsenv_expiry - __stsenv_now) / 60))
    fi
}

# Install the prompt hook once, next to whatever is there already (run last, so a tool
# that rewrites PS1 at each prompt still gets the segment added).
__stsenv_install() {
    \builtin local __stsenv_c
    if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
        # bash-preexec owns PROMPT_COMMAND and hands each precmd function the user's $?.
        for __stsenv_c in ${precmd_functions[@]+"${precmd_functions[@]}"}; do
            [[ $__stsenv_c != __stsenv_prompt_hook ]] || \builtin return 0
        done
        precmd_functions+=(__stsenv_prompt_hook)
    elif ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
        [[ -n ${PROMPT_COMMAND+x} && ${PROMPT_COMMAND@a} == *a* ]]; then
        # bash >= 5.1 runs every element of an array PROMPT_COMMAND.
        for __stsenv_c in "${PROMPT_COMMAND[@]}"; do
            [[ $__stsenv_c != *__stsenv_prompt_hook* ]] || \builtin return 0
        done
        PROMPT_COMMAND+=('__stsenv_prompt_hook && :')
    else
        # shellcheck disable=SC2128,SC2178 # here PROMPT_COMMAND is the string form
        case ${PROMPT_COMMAND-} in
        *__stsenv_prompt_hook*) ;;
        '') PROMPT_COMMAND='__stsenv_prompt_hook && :' ;;
        # A newline, not `;`: the old text may end in `;`, `&` or a comment.
        *) PROMPT_COMMAND=$PROMPT_COMMAND$'\n''__stsenv_prompt_hook && :' ;;
        esac
    fi
}
__stsenv_install

# A role inherited from a parent shell is shown, and cleared at its expiry, here too.
# (Loaded twice, the hook keeps the state it has.)
case ${__stsenv_expiry-}${__stsenv_next-} in
'' | *[!0-9]*) __stsenv_expiry=0 __stsenv_next=0 __stsenv_minutes=-1 __stsenv_drawn='' __stsenv_warned='' ;;
esac
if [[ -n ${STSENV_EXPIRY-} ]] && ((!__stsenv_expiry)); then
    __stsenv_activate
fi

# TAB completion: its script (`stsenv completion bash`) is loaded at the first TAB, so a new
# shell starts no process for it. A completion already registered for stsenv is kept.
__stsenv_complete_load() {
    \builtin eval "$(\command stsenv completion bash)"
    if \builtin declare -F __stsenv_complete >/dev/null; then __stsenv_complete "$@"; fi
}
\builtin complete -p stsenv &>/dev/null || \builtin complete -F __stsenv_complete_load stsenv

if ((__stsenv_aliases)); then \builtin shopt -s expand_aliases; fi
\builtin unset -v __stsenv_aliases
