# stsenv hook for bash: eval "$(stsenv hook bash)" in ~/.bashrc (or source this file).
# Protocol: shell/README.md. Private names start with __stsenv_. Safe to load twice.
# A user's aliases named like the builtins used here must not change what runs: this file
# is parsed with alias expansion off (restored at its end), and builtins are still called
# as `\builtin NAME` where a function might be defined after it.
__stsenv_aliases=0
if \builtin shopt -q expand_aliases; then __stsenv_aliases=1; fi
\builtin shopt -u expand_aliases

# --- load-time reset ---
# The hook owns every __stsenv_* name, and nothing under one may come from the environment:
# a forged baseline would be "restored" (PROMPT_COMMAND...), and arithmetic runs code hidden
# in a value ("a[$(cmd)]"). So at the first load in a shell they are all dropped. Loaded
# again, the hook keeps its state: its marker holds this shell's PID and is never exported,
# while anything inherited is (bash < 4.4 cannot tell: there the PID alone decides).
if [[ ${__stsenv_loaded-} != "$$" ]] ||
    { ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)) && [[ ${__stsenv_loaded@a} == *x* ]]; }; then
    for __stsenv_n in "${!__stsenv_@}"; do
        # (__stsenv_aliases was set by this load, above.)
        [[ $__stsenv_n == __stsenv_aliases ]] || \builtin unset -v "$__stsenv_n"
    done
    \builtin unset -v __stsenv_n
    __stsenv_expiry=0 __stsenv_next=0 __stsenv_minutes=-1 __stsenv_drawn='' __stsenv_warned=''
    __stsenv_loaded=$$
    # `set -a` would export them; children must see none of this.
    \builtin export -n __stsenv_loaded __stsenv_aliases
fi

# --- wrapper ---
__stsenv_hook_version=0.1.0 # the program's version; `stsenv doctor` compares them

# Run "$@" with tracing (`set -x`, `set -v`) off, then set it back as it was; its status is
# theirs. The wrapper, __stsenv_restore and __stsenv_dir_changed call themselves through it:
# they copy secrets (the role's keys, the saved baseline).
__stsenv_untraced() {
    \builtin local __stsenv_rc=0 __stsenv_o=$-
    \builtin set +xv
    "$@" || __stsenv_rc=$?
    case $__stsenv_o in *x*) \builtin set -x ;; esac
    case $__stsenv_o in *v*) \builtin set -v ;; esac
    \builtin return "$__stsenv_rc"
}

# Only verbs that change the environment are evaluated, and only on success.
stsenv() {
    # Under `set -x` / `set -v` the secrets would be traced (the role's keys, the saved
    # baseline): the wrapper runs itself with tracing off, then sets it back as it was.
    case $- in
    *[xv]*)
        __stsenv_untraced stsenv "$@"
        \builtin return
        ;;
    esac
    \builtin local __stsenv_out __stsenv_rc=0 __stsenv_args __stsenv_own
    case ${1-} in
    use | clear | refresh | __enter)
        # The program runs with the baseline (restored in this subshell only), so a second
        # `use` starts from the user's own credentials. Nothing changes here unless it exits 0;
        # Ctrl-C aborts the whole function before the eval.
        # `refresh` needs the `use` arguments, which the baseline lacks: those of the role this
        # shell started (an inherited role's could name any source; it gets none).
        __stsenv_args=${__stsenv_use_args-}
        __stsenv_out=$(
            __stsenv_restore
            STSENV_SHELL=bash STSENV_REFRESH_ARGS=$__stsenv_args \command stsenv "$@"
        ) || __stsenv_rc=$?
        if ((__stsenv_rc != 0)); then
            \builtin return "$__stsenv_rc"
        fi
        # A name the code cannot set (read-only...) would stop it half-way, keys exported
        # and no role shown: every name is checked before anything changes.
        __stsenv_args=$'\n' # (a variable: $'' in "${...}" depends on extquote)
        case $__stsenv_out in
        "__stsenv_save "*) __stsenv_check "${__stsenv_out%%"$__stsenv_args"*}" || \builtin return 1 ;;
        esac
        # The printed code describes "baseline + this role": start from the baseline.
        __stsenv_restore
        __stsenv_own=1 # seen by __stsenv_activate: this role was started in this shell
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
    exec | export | credential-process | login | logout)
        # These get credentials from the user's own source, as a new shell would, not from
        # the active role: the program runs with the baseline (restored in a subshell only).
        (
            __stsenv_restore
            \command stsenv "$@"
        )
        ;;
    allow | deny)
        # A project file trusted or not any more: the next prompt looks at it again.
        \command stsenv "$@" || \builtin return
        __stsenv_dir_pwd='' __stsenv_dir_seen='' __stsenv_drawn='' __stsenv_dir_recheck=1
        __stsenv_dir_warned=''
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

# Can every name of the `__stsenv_save NAME...` line ($1) be set now and put back exactly
# later? If not, one line says which, and nothing changes.
__stsenv_check() {
    \builtin local __stsenv_n __stsenv_why IFS=' '
    for __stsenv_n in ${1#__stsenv_save }; do
        case $__stsenv_managed in
        *" $__stsenv_n "*) __stsenv_why= ;;
        *) __stsenv_why="is not a name this hook knows (reload the hook: stsenv doctor)" ;;
        esac
        if [[ -z $__stsenv_why ]] && \builtin test -R "$__stsenv_n"; then
            __stsenv_why='is a name reference in this shell (declare -n)'
        elif [[ -z $__stsenv_why ]] && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
            # (Declared without a value, a name has attributes but is "unbound" to `set -u`.)
            \builtin local -
            \builtin set +u
            case ${!__stsenv_n@a} in
            *r*) __stsenv_why='is read-only in this shell' ;;
            *A*) __stsenv_why='is an associative array in this shell' ;;
            *a*) __stsenv_why='is an array in this shell' ;;
            esac
        fi
        if [[ -n $__stsenv_why ]]; then
            \builtin printf 'stsenv: %s %s: the role is not started, nothing was changed\n' \
                "$__stsenv_n" "$__stsenv_why" >&2
            \builtin return 1
        fi
    done
}

# --- baseline: save / restore ---
# The names stsenv may change (stsenv.envchange.MANAGED_VARS, and STSENV_TARGET, the old
# name of STSENV_USE_ARGS): no other name is ever saved, set back or unset here, whatever a
# list from the environment (STSENV_VARS) says. Space-separated, with a space at each end.
__stsenv_managed=' AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN'
__stsenv_managed+=' AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE'
__stsenv_managed+=' AWS_DEFAULT_PROFILE AWS_SECURITY_TOKEN AWS_SESSION_EXPIRATION STSENV_ROLE'
__stsenv_managed+=' STSENV_ARN STSENV_EXPIRY STSENV_STAMP STSENV_USE_ARGS STSENV_VARS'
__stsenv_managed+=' STSENV_PROJECT_FILE'
__stsenv_managed+=' STSENV_TARGET '
\builtin export -n __stsenv_managed

# Record the current value (or "was unset") of each NAME not recorded yet, and whether it
# was exported (and bash's -i/-l/-u), in shell variables that are never exported (the
# baseline may hold long-term keys).
__stsenv_save() {
    \builtin local __stsenv_n
    for __stsenv_n in "$@"; do
        # Names reach ${!n} and printf -v, which evaluate subscripts: identifiers only.
        case $__stsenv_n in
        '' | [!A-Z_]* | *[!A-Z0-9_]*) \builtin continue ;;
        esac
        case $__stsenv_managed in
        *" $__stsenv_n "*) ;;
        *) \builtin continue ;;
        esac
        case " ${__stsenv_saved-} " in
        *" $__stsenv_n "*) \builtin continue ;;
        esac
        __stsenv_saved="${__stsenv_saved-}${__stsenv_saved:+ }$__stsenv_n"
        if [[ -n ${!__stsenv_n+x} ]]; then
            \builtin printf -v "__stsenv_old_$__stsenv_n" '%s' "${!__stsenv_n}"
            if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
                \builtin printf -v "__stsenv_attr_$__stsenv_n" '%s' "${!__stsenv_n@a}"
                # The role's values must arrive as they are: no arithmetic (-i runs code
                # hidden in a value), no case change. __stsenv_restore gives them back.
                \builtin declare -g +i +l +u "$__stsenv_n"
            else
                \builtin printf -v "__stsenv_attr_$__stsenv_n" x # no ${v@a}: as before
            fi
            # `set -a` would export them: the baseline stays in this shell.
            \builtin export -n "__stsenv_old_$__stsenv_n" "__stsenv_attr_$__stsenv_n"
        else
            \builtin unset -v "__stsenv_old_$__stsenv_n" "__stsenv_attr_$__stsenv_n"
            # Declared without a value (`declare -i NAME`) still has its attributes.
            \builtin unset -v "$__stsenv_n"
        fi
    done
    \builtin export -n __stsenv_saved
}

# Put the baseline back (old bytes, exported or not, with its attributes; or unset) and
# forget it; silent.
__stsenv_restore() {
    # Untraced, as the wrapper (the expiry path calls this from the prompt hook).
    case $- in
    *[xv]*)
        __stsenv_untraced __stsenv_restore
        \builtin return 0
        ;;
    esac
    \builtin local __stsenv_n __stsenv_v __stsenv_a __stsenv_f IFS=' '
    if [[ -n ${__stsenv_saved+x} ]]; then
        for __stsenv_n in $__stsenv_saved; do
            __stsenv_v=__stsenv_old_$__stsenv_n
            __stsenv_a=__stsenv_attr_$__stsenv_n
            # Unset first: the role's value goes, with its export flag.
            \builtin unset -v "$__stsenv_n"
            if [[ -n ${!__stsenv_v+x} ]]; then
                \builtin printf -v "$__stsenv_n" '%s' "${!__stsenv_v}"
                __stsenv_f=${!__stsenv_a-x}
                # shellcheck disable=SC2163 # the name is in the variable
                if [[ $__stsenv_f == *x* ]]; then
                    \builtin export "$__stsenv_n"
                else
                    \builtin export -n "$__stsenv_n" # (`set -a` exported the assignment)
                fi
                __stsenv_f=${__stsenv_f//[!ilu]/}
                # The value already has their effect (it was saved with them).
                [[ -z $__stsenv_f ]] || \builtin declare -g "-$__stsenv_f" "$__stsenv_n"
                \builtin unset -v "$__stsenv_v" "$__stsenv_a"
            fi
        done
        \builtin unset -v __stsenv_saved
    elif [[ -n ${STSENV_VARS-} ]]; then
        # A role inherited from a parent shell: no baseline here, so drop its names (those
        # this hook manages: the list comes from the environment).
        for __stsenv_n in $STSENV_VARS; do
            case $__stsenv_managed in
            *" $__stsenv_n "*) \builtin unset -v "$__stsenv_n" ;;
            esac
        done
    fi
    __stsenv_ps1_remove
    \builtin unset -v STSENV_SEGMENT STSENV_SEGMENT_LEVEL __stsenv_role __stsenv_prompt_off \
        __stsenv_ps1_text __stsenv_use_args __stsenv_watch
    __stsenv_expiry=0 __stsenv_next=0 __stsenv_minutes=-1 __stsenv_drawn='' __stsenv_warned=''
    __stsenv_hook_form
}

# --- activate ---
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
    __stsenv_hook_form
    __stsenv_role=${STSENV_ROLE-}
    __stsenv_minutes=-1 # forces the first draw
    __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    # What `refresh` may renew: the `use` arguments of a role started by this shell's own
    # wrapper, kept unexported. (Never the old STSENV_TARGET: the program does not
    # clear it, so it could be a parent shell's.)
    if [[ -n ${__stsenv_own-} ]]; then
        __stsenv_use_args=${STSENV_USE_ARGS-}
        \builtin export -n __stsenv_use_args
    else
        \builtin unset -v __stsenv_use_args
    fi
    __stsenv_tick activate
}

# --- clock ---
# Seconds since the epoch, without a process where bash allows it (bash >= 5 has
# $EPOCHSECONDS, read directly by the prompt hook; an EPOCHSECONDS from the environment
# only counts where bash itself provides it, and is digits).
__stsenv_clock() {
    if ((BASH_VERSINFO[0] >= 5)) && [[ -n ${EPOCHSECONDS-} && $EPOCHSECONDS != *[!0-9]* ]]; then
        __stsenv_now=$EPOCHSECONDS
    elif ((BASH_VERSINFO[0] > 4 || BASH_VERSINFO[1] >= 2)); then
        \builtin printf -v __stsenv_now '%(%s)T' -1
    else
        # bash < 4.2 has no builtin clock: one `date` per prompt while a role is active.
        __stsenv_now=$(\command date +%s)
        # No time to trust: the role is over.
        [[ -n $__stsenv_now && $__stsenv_now != *[!0-9]* ]] || __stsenv_now=$__stsenv_expiry
    fi
}

# --- prompt hook ---
# Runs before every prompt and spawns no process. It keeps $?: it returns the status it
# was called with (PROMPT_COMMAND runs it as `... && :`, so `set -e` cannot end the shell).
# With $EPOCHSECONDS (bash >= 5) it has two forms, swapped by __stsenv_hook_form as a role
# starts and ends, so that the usual prompt makes one test:
# - no role: $PWD is the directory last looked at (see "directory");
# - a role: before __stsenv_next (when the minute shown changes), the one string of $PWD,
#   the opt-out and PS1 is as this hook left it. When the segment holds a character that
#   the options expanding PS1 treat differently (__stsenv_watch is set: see __stsenv_draw),
#   those options (promptvars in $BASHOPTS; POSIX mode, which bash flags with
#   POSIXLY_CORRECT) are in the string too.
# Both compare with a pattern (__stsenv_literal): `== $pattern` skips the quoting that
# `== "$text"` costs at every prompt. Everything else, and every prompt of a bash without
# $EPOCHSECONDS (< 5.0), goes to __stsenv_due.
if ((BASH_VERSINFO[0] >= 5)) && [[ -n ${EPOCHSECONDS-} && $EPOCHSECONDS != *[!0-9]* ]]; then
    __stsenv_hook_form() {
        if ((__stsenv_expiry)); then
            # shellcheck disable=SC2015,SC2053 # either failing test is due; patterns on purpose
            __stsenv_prompt_hook() {
                __stsenv_status=$?
                ((EPOCHSECONDS < __stsenv_next)) &&
                    [[ ${PWD-}/${STSENV_DISABLE_PROMPT-}/${__stsenv_watch:+$BASHOPTS${POSIXLY_CORRECT+/posix}}/${PS1-} == $__stsenv_drawn ]] ||
                    __stsenv_due
                return $__stsenv_status # digits: no quotes, the cheapest return (aliases: see the top)
            }
        else
            # shellcheck disable=SC2053 # a pattern on purpose
            __stsenv_prompt_hook() {
                __stsenv_status=$?
                [[ ${PWD-} == $__stsenv_dir_seen ]] || __stsenv_due
                return $__stsenv_status
            }
        fi
    }
else
    __stsenv_hook_form() { :; }
    __stsenv_prompt_hook() {
        __stsenv_status=$?
        __stsenv_due
        return $__stsenv_status
    }
fi
__stsenv_hook_form

# Something may be due: a new directory, then (a role active) a new minute, the expiry or
# a prompt to redraw.
__stsenv_due() {
    [[ ${PWD-} == "$__stsenv_dir_pwd" ]] || __stsenv_dir_changed
    ((!__stsenv_expiry)) || __stsenv_tick
}

# A pattern that matches exactly the text $2, into the variable named $1: `\` before each
# character that patterns (extglob's too) give a meaning.
__stsenv_literal() {
    \builtin local __stsenv_p="$2" # (quoted: see __stsenv_dir_changed)
    case $__stsenv_p in
    *[][\\*?\(\)\|+@!]*)
        __stsenv_p=${__stsenv_p//\\/\\\\}
        __stsenv_p=${__stsenv_p//\*/\\*}
        __stsenv_p=${__stsenv_p//\?/\\?}
        __stsenv_p=${__stsenv_p//\[/\\[}
        __stsenv_p=${__stsenv_p//\]/\\]}
        __stsenv_p=${__stsenv_p//\(/\\(}
        __stsenv_p=${__stsenv_p//\)/\\)}
        __stsenv_p=${__stsenv_p//\|/\\|}
        __stsenv_p=${__stsenv_p//+/\\+}
        __stsenv_p=${__stsenv_p//@/\\@}
        __stsenv_p=${__stsenv_p//!/\\!}
        ;;
    esac
    \builtin printf -v "$1" '%s' "$__stsenv_p"
}

# --- tick / expiry / warning ---
# A role is active and something is due: a new minute, the expiry, or a prompt to redraw.
# ($1 is "activate" when a role was just exported: never renew it from there.)
__stsenv_tick() {
    \builtin local __stsenv_now
    __stsenv_clock
    if ((__stsenv_expiry <= __stsenv_now)); then
        # A role entered from a .stsenv.toml is renewed if that needs no input.
        if [[ ${1-} != activate ]] && __stsenv_dir_renew; then \builtin return 0; fi
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
    # A role entered from a .stsenv.toml is renewed now if that needs no input.
    ! __stsenv_dir_renew || \builtin return 0
    # shellcheck disable=SC2016 # the backticks are text
    \builtin printf 'stsenv: %s expires in %sm — `stsenv refresh` to renew, `stsenv exec --server` for a job that must outlive it\n' \
        "$__stsenv_role" "$__stsenv_minutes" >&2
    # Only a role started in this shell is renewed: an inherited one has nothing to renew it
    # with but what the environment says.
    if [[ ${STSENV_AUTO_REFRESH-} == 1 && -n ${__stsenv_use_args-} ]]; then
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

# --- draw ---
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
    __stsenv_watch=''
    __stsenv_literal __stsenv_drawn "${__stsenv_dir_pwd-}/$__stsenv_prompt_off//${PS1-}"
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
    # The role name comes from user config and must reach the prompt inert. A text with
    # none of $ ` \ ! ' " reads the same however PS1 is expanded, and goes in as it is.
    # Otherwise the way in depends on the options, which the prompt hook then watches.
    # POSIX mode expands `$(...)` in PS1 whatever promptvars says.
    if [[ $__stsenv_text != *[\$\`\\\!\'\"]* ]]; then
        __stsenv_ps1_inserted=$__stsenv_on$__stsenv_text$__stsenv_off
    else
        __stsenv_watch=1
        if \builtin shopt -q promptvars || [[ :$SHELLOPTS: == *:posix:* ]]; then
            # PS1 gets a reference: bash decodes `\` escapes (and, in POSIX mode, `!`) before
            # it expands parameters, and an expanded value is not expanded again, so `$(...)`,
            # backticks, `\w` and `!` stay text.
            __stsenv_ps1_text=$__stsenv_text
            # shellcheck disable=SC2016 # the reference is meant literally
            __stsenv_ps1_inserted=$__stsenv_on'${__stsenv_ps1_text-}'$__stsenv_off
        else
            # No expansion at all: only the prompt's backslash escapes remain to neutralise.
            \builtin local __stsenv_bs=\\
            __stsenv_text=${__stsenv_text//"$__stsenv_bs"/"$__stsenv_bs$__stsenv_bs"}
            __stsenv_ps1_inserted=$__stsenv_on$__stsenv_text$__stsenv_off
        fi
    fi
    PS1=$__stsenv_ps1_inserted${PS1-}
    # (The directory last looked at, not $PWD: a `cd` in the command that drew is still due.)
    __stsenv_literal __stsenv_drawn \
        "${__stsenv_dir_pwd-}/$__stsenv_prompt_off/${__stsenv_watch:+$BASHOPTS${POSIXLY_CORRECT+/posix}}/$PS1"
}

# Strip exactly what __stsenv_draw inserted, so PS1 is byte-identical afterwards.
__stsenv_ps1_remove() {
    if [[ -n ${__stsenv_ps1_inserted-} && ${PS1-} == "$__stsenv_ps1_inserted"* ]]; then
        PS1=${PS1#"$__stsenv_ps1_inserted"}
    fi
    __stsenv_ps1_inserted=
}

# --- stsenv_prompt ---
# `<role> <minutes>m` for custom prompts, computed now; nothing when no role is active.
stsenv_prompt() {
    \builtin local __stsenv_now
    ((__stsenv_expiry)) || \builtin return 0
    __stsenv_clock
    if ((__stsenv_expiry > __stsenv_now)); then
        \builtin printf '%s %sm' "$__stsenv_role" $(((__stsenv_expiry - __stsenv_now) / 60))
    fi
}

# --- install ---
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

# --- inherited role ---
# A role inherited from a parent shell is shown, and cleared at its expiry, here too; it
# cannot be renewed here (see __stsenv_activate). Loaded twice, the hook keeps its role.
if [[ -n ${STSENV_EXPIRY-} ]] && ((!__stsenv_expiry)); then
    __stsenv_activate
fi

# --- directory ---
# Roles that follow the directory (README "Per-directory roles"). At a prompt whose $PWD is
# not the last one seen, __stsenv_dir_changed walks up to the nearest .stsenv.toml with
# builtin tests only; only when that file (its path) changes does anything happen. Leaving
# a tree the hook entered puts back the state from before it, with no process; entering one
# runs the program once (`stsenv __enter FILE` through the wrapper, asking nothing), which
# reads the file as data and changes nothing unless the user allowed it. The shell never
# reads the file. Paths are data: quoted everywhere, and kept in a list between `//`
# (which no path that bash gives $PWD contains).
__stsenv_dir_pwd=${__stsenv_dir_pwd-} __stsenv_dir_file=${__stsenv_dir_file-}
__stsenv_dir_seen=${__stsenv_dir_seen-} __stsenv_dir_warned=${__stsenv_dir_warned-}
\builtin export -n __stsenv_dir_pwd __stsenv_dir_file __stsenv_dir_seen __stsenv_dir_warned

__stsenv_dir_changed() {
    # Untraced, as the wrapper: entering and leaving copy the role's secrets.
    case $- in
    *[xv]*)
        __stsenv_untraced __stsenv_dir_changed
        \builtin return 0
        ;;
    esac
    # (Quoted: `\builtin local` is not parsed as a declaration, so it would split a value.)
    \builtin local __stsenv_d="${PWD-}" __stsenv_f=''
    __stsenv_dir_pwd=$__stsenv_d
    # What the prompt hook compares $PWD with (a path without pattern characters is one).
    __stsenv_dir_seen=$__stsenv_d
    case $__stsenv_d in
    *[][\\*?\(\)\|+@!]*) __stsenv_literal __stsenv_dir_seen "$__stsenv_d" ;;
    esac
    [[ $__stsenv_d != / ]] || __stsenv_d=''
    # One test per level (the cheapest walk: bash runs few statements per level).
    until [[ -f $__stsenv_d/.stsenv.toml || $__stsenv_d != */* ]]; do
        __stsenv_d=${__stsenv_d%/*}
    done
    [[ ! -f $__stsenv_d/.stsenv.toml ]] || __stsenv_f=$__stsenv_d/.stsenv.toml
    if [[ $__stsenv_f == "$__stsenv_dir_file" && -z ${__stsenv_dir_recheck-} ]]; then
        \builtin return 0
    fi
    \builtin unset -v __stsenv_dir_recheck
    [[ -z ${__stsenv_dir_entered-} ]] || __stsenv_dir_leave
    __stsenv_dir_file=$__stsenv_f
    [[ -z $__stsenv_f ]] || __stsenv_dir_enter
}

# Enter the tree of $__stsenv_dir_file: keep the state before it (the role then active:
# its names and values), then ask the program. A file it refused (said once: later calls
# for it are quiet) leaves everything as it was.
__stsenv_dir_enter() {
    \builtin local __stsenv_n __stsenv_q='' IFS=' ' STSENV_NO_INPUT=1 STSENV_DIR_QUIET
    case $__stsenv_dir_warned in
    *"//$__stsenv_dir_file//"*) __stsenv_q=1 ;;
    esac
    STSENV_DIR_QUIET=$__stsenv_q
    # shellcheck disable=SC2034 # read by the program
    \builtin export STSENV_NO_INPUT STSENV_DIR_QUIET
    __stsenv_dir_forget
    # (A role inherited from a tree, in a shell started inside it, is not kept: it would
    # follow the user out of the tree.)
    if ((__stsenv_expiry)) && [[ -n ${__stsenv_saved+x} || -z ${STSENV_PROJECT_FILE-} ]]; then
        __stsenv_dir_pre=1 __stsenv_dir_pre_own=${__stsenv_use_args-} __stsenv_dir_pre_names=''
        for __stsenv_n in ${STSENV_VARS-}; do
            case $__stsenv_managed in
            *" $__stsenv_n "*) ;;
            *) \builtin continue ;;
            esac
            __stsenv_dir_pre_names+=" $__stsenv_n"
            if [[ -n ${!__stsenv_n+x} ]]; then
                \builtin printf -v "__stsenv_dir_pre_v_$__stsenv_n" '%s' "${!__stsenv_n}"
                \builtin export -n "__stsenv_dir_pre_v_$__stsenv_n"
            fi
        done
        \builtin export -n __stsenv_dir_pre __stsenv_dir_pre_own __stsenv_dir_pre_names
    fi
    if stsenv __enter "$__stsenv_dir_file"; then
        __stsenv_dir_entered=1 __stsenv_dir_expiry=$__stsenv_expiry
        \builtin export -n __stsenv_dir_entered __stsenv_dir_expiry
    else
        [[ -n $__stsenv_q ]] || __stsenv_dir_warned+="//$__stsenv_dir_file//"
        __stsenv_dir_forget
    fi
}

# Forget the state kept from before the tree.
__stsenv_dir_forget() {
    \builtin local __stsenv_n IFS=' '
    for __stsenv_n in ${__stsenv_dir_pre_names-}; do
        \builtin unset -v "__stsenv_dir_pre_v_$__stsenv_n"
    done
    \builtin unset -v __stsenv_dir_pre __stsenv_dir_pre_own __stsenv_dir_pre_names
}

# Leave the tree: exactly the state from before it, as `clear` and the wrapper make it (the
# baseline, plus the role then active with its values; it is shown again, or ends now if
# its time is up). No process.
__stsenv_dir_leave() {
    \builtin local __stsenv_n __stsenv_v __stsenv_own IFS=' '
    \builtin unset -v __stsenv_dir_entered __stsenv_dir_expiry
    __stsenv_restore
    if [[ -z ${__stsenv_dir_pre-} ]]; then
        __stsenv_dir_forget
        \builtin return 0
    fi
    # shellcheck disable=SC2086 # a list of managed names
    __stsenv_save $__stsenv_dir_pre_names
    for __stsenv_n in $__stsenv_dir_pre_names; do
        __stsenv_v=__stsenv_dir_pre_v_$__stsenv_n
        if [[ -n ${!__stsenv_v+x} ]]; then
            \builtin printf -v "$__stsenv_n" '%s' "${!__stsenv_v}"
            # shellcheck disable=SC2163 # the name is in the variable
            \builtin export "$__stsenv_n"
        else
            \builtin unset -v "$__stsenv_n"
        fi
    done
    __stsenv_own=$__stsenv_dir_pre_own # seen by __stsenv_activate: renewable if it was
    __stsenv_dir_forget
    __stsenv_activate
}

# At the expiry of the role entered from the governing file (not one the user started
# inside the tree): enter again, asking nothing. Fails (status 1) when that cannot be done.
__stsenv_dir_renew() {
    [[ -n ${__stsenv_dir_entered-} && $__stsenv_expiry == "${__stsenv_dir_expiry-}" ]] ||
        \builtin return 1
    \builtin local STSENV_NO_INPUT=1 STSENV_DIR_QUIET='' STSENV_QUIET=1 # silently
    # shellcheck disable=SC2034 # read by the program
    \builtin export STSENV_NO_INPUT STSENV_DIR_QUIET STSENV_QUIET
    stsenv __enter "$__stsenv_dir_file" || \builtin return 1
    __stsenv_dir_expiry=$__stsenv_expiry
}

# --- completion ---
# TAB completion: its script (`stsenv completion bash`) is loaded at the first TAB, so a new
# shell starts no process for it. A completion already registered for stsenv is kept.
__stsenv_complete_load() {
    \builtin eval "$(\command stsenv completion bash)"
    if \builtin declare -F __stsenv_complete >/dev/null; then __stsenv_complete "$@"; fi
}
\builtin complete -p stsenv &>/dev/null || \builtin complete -F __stsenv_complete_load stsenv

if ((__stsenv_aliases)); then \builtin shopt -s expand_aliases; fi
\builtin unset -v __stsenv_aliases
