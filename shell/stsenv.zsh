# stsenv hook for zsh: eval "$(stsenv hook zsh)" in ~/.zshrc (or source this file).
# Protocol: shell/README.md. Private names start with __stsenv_. Builtins are called as
# `\builtin NAME` so that a user's aliases named like them (expanded when this file is
# parsed) cannot change what runs; globals are set with `typeset -g` so that
# WARN_CREATE_GLOBAL stays quiet. Safe to load twice.

# --- load-time reset ---
# The hook owns every __stsenv_* name, and nothing under one may come from the environment:
# a forged baseline would be "restored", and arithmetic runs code hidden in a value
# ("path[$(cmd)1]"). So at the first load in a shell they are all dropped. Loaded again, the
# hook keeps its state: its marker holds this shell's PID and is never exported, while
# anything inherited is.
if [[ ${__stsenv_loaded-} != "$$" || ${parameters[__stsenv_loaded]-} == *export* ]]; then
    \builtin unset -m '__stsenv_*'
    \builtin typeset -g +x __stsenv_loaded=$$
fi
# The prompt hook's state is always set (NO_UNSET).
case ${__stsenv_next-} in
('' | *[^0-9]*) \builtin typeset -g +x __stsenv_next=0 __stsenv_drawn= ;;
esac

# --- wrapper ---
\builtin typeset -g __stsenv_hook_version=0.1.0 # the program's version; `stsenv doctor` compares

# Only verbs that change the environment are evaluated, and only on success.
# No `emulate -L zsh` here: the eval'd code draws the prompt, which must see the user's
# prompt options (PROMPT_SUBST...), and options are inherited by called functions.
stsenv() {
    # Under `set -x` / `set -v` the secrets would be traced (the role's keys, the saved
    # baseline): off in here, and back as they were on return (local_options).
    \builtin setopt local_options no_xtrace no_verbose
    \builtin local __stsenv_out __stsenv_rc=0 __stsenv_args __stsenv_own
    case ${1-} in
    (use | clear | refresh | __enter)
        # The program runs with the baseline (restored in this subshell only), so a second
        # `use` starts from the user's own credentials. Nothing changes here unless it exits 0;
        # Ctrl-C aborts the whole function before the eval.
        # `refresh` needs the `use` arguments, which the baseline lacks: those of the role this
        # shell started (an inherited role's could name any source; it gets none).
        __stsenv_args=${__stsenv_use_args-}
        __stsenv_out=$(
            __stsenv_restore
            STSENV_SHELL=zsh STSENV_REFRESH_ARGS=$__stsenv_args \command stsenv "$@"
        ) || __stsenv_rc=$?
        if ((__stsenv_rc != 0)); then
            \builtin return $__stsenv_rc
        fi
        # A name the code cannot set (read-only, an array...) would stop it half-way, keys
        # exported and no role shown: every name is checked before anything changes.
        if [[ $__stsenv_out == "__stsenv_save "* ]]; then
            __stsenv_args=$'\n'
            __stsenv_check "${__stsenv_out%%$__stsenv_args*}" || \builtin return 1
        fi
        # The printed code describes "baseline + this role": start from the baseline.
        __stsenv_restore
        __stsenv_own=1 # seen by __stsenv_activate: this role was started in this shell
        # Parsed with aliases off (for this function only): an alias named `export` must
        # not see, or print, the secrets.
        \builtin setopt local_options no_aliases
        \builtin eval "$__stsenv_out"
        ;;
    (exec | export | credential-process | login | logout)
        # These get credentials from the user's own source, as a new shell would, not from
        # the active role: the program runs with the baseline (restored in a subshell only).
        (
            __stsenv_restore
            \command stsenv "$@"
        )
        ;;
    (allow | deny)
        # A project file trusted or not any more: the next prompt looks at it again.
        \command stsenv "$@" || \builtin return
        \builtin typeset -g +x __stsenv_dir_pwd= __stsenv_dir_recheck=1 __stsenv_dir_warned=
        \builtin typeset -g __stsenv_drawn= # (a role active: its prompts are due too)
        ;;
    (doctor)
        # doctor checks this hook from outside: tell it the shell, the hook's version and
        # where the prompt hook is installed (unexported shell state).
        STSENV_SHELL=zsh STSENV_HOOK_VERSION=$__stsenv_hook_version \
            STSENV_PROMPT_HOOKS="${precmd_functions[*]-}" \command stsenv "$@"
        ;;
    (*)
        \command stsenv "$@"
        ;;
    esac
}

# Can every name of the `__stsenv_save NAME...` line ($1) be set now and put back exactly
# later? Only a plain scalar can: typeset attributes would change the role's values (-i runs
# them as arithmetic, -l lowers a secret key) and would not come back. If not, one line
# says which, and nothing changes.
__stsenv_check() {
    \builtin emulate -L zsh
    \builtin local __stsenv_n __stsenv_why
    for __stsenv_n in ${(s: :)${1#__stsenv_save }}; do
        case " $__stsenv_managed " in
        (*" $__stsenv_n "*) ;;
        (*)
            __stsenv_why="is not a name this hook knows (reload the hook: stsenv doctor)"
            ;;
        esac
        case ${__stsenv_why:-${parameters[$__stsenv_n]-}} in
        ('' | scalar | scalar-export) \builtin continue ;;
        (is\ *) ;;
        (*readonly*) __stsenv_why='is read-only in this shell' ;;
        (array*) __stsenv_why='is an array in this shell' ;;
        (association*) __stsenv_why='is an associative array in this shell' ;;
        (*) __stsenv_why="has typeset attributes in this shell (${parameters[$__stsenv_n]})" ;;
        esac
        \builtin print -ru2 -- "stsenv: $__stsenv_n $__stsenv_why: the role is not started, nothing was changed"
        \builtin return 1
    done
}

# --- baseline: save / restore ---
# The names stsenv may change (stsenv.envchange.MANAGED_VARS, and STSENV_TARGET, the old
# name of STSENV_USE_ARGS): no other name is ever saved, set back or unset here, whatever a
# list from the environment (STSENV_VARS) says.
\builtin typeset -g +x __stsenv_managed='AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN'
__stsenv_managed+=' AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE'
__stsenv_managed+=' AWS_DEFAULT_PROFILE AWS_SECURITY_TOKEN AWS_SESSION_EXPIRATION STSENV_ROLE'
__stsenv_managed+=' STSENV_ARN STSENV_EXPIRY STSENV_STAMP STSENV_USE_ARGS STSENV_VARS'
__stsenv_managed+=' STSENV_TARGET STSENV_PROJECT_FILE'

# Record the current value (or "was unset") of each NAME not recorded yet, and whether it
# was exported, in shell parameters that are never exported (the baseline may hold
# long-term keys).
__stsenv_save() {
    \builtin emulate -L zsh
    \builtin setopt no_xtrace no_verbose # the baseline's secrets: never traced
    \builtin local __stsenv_n
    for __stsenv_n in "$@"; do
        # Names reach ${(P)n}, which evaluates subscripts: managed identifiers only.
        case " $__stsenv_managed " in
        (*" $__stsenv_n "*) ;;
        (*) \builtin continue ;;
        esac
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
            if [[ ${parameters[$__stsenv_n]} == *-export* ]]; then
                \builtin typeset -g +x "__stsenv_attr_$__stsenv_n=x"
            else
                \builtin typeset -g +x "__stsenv_attr_$__stsenv_n="
            fi
        else
            \builtin unset "__stsenv_old_$__stsenv_n" "__stsenv_attr_$__stsenv_n"
        fi
    done
}

# Put the baseline back (old bytes, exported or not; or unset) and forget it; silent.
__stsenv_restore() {
    \builtin emulate -L zsh
    \builtin setopt no_xtrace no_verbose # the baseline's secrets: never traced (expiry too)
    \builtin local __stsenv_n __stsenv_v __stsenv_a
    if ((${+__stsenv_saved})); then
        for __stsenv_n in ${(s: :)__stsenv_saved}; do
            __stsenv_v=__stsenv_old_$__stsenv_n
            __stsenv_a=__stsenv_attr_$__stsenv_n
            if ((${(P)+__stsenv_v})); then
                if [[ ${(P)__stsenv_a-x} == x ]]; then
                    \builtin typeset -gx "$__stsenv_n=${(P)__stsenv_v}"
                else
                    \builtin unset "$__stsenv_n" # (+x alone would keep it in the environment)
                    \builtin typeset -g +x "$__stsenv_n=${(P)__stsenv_v}"
                fi
                \builtin unset "$__stsenv_v" "$__stsenv_a"
            else
                \builtin unset "$__stsenv_n"
            fi
        done
        \builtin unset __stsenv_saved
    elif [[ -n ${STSENV_VARS-} ]]; then
        # A role inherited from a parent shell: no baseline here, so drop its names (those
        # this hook manages: the list comes from the environment).
        for __stsenv_n in ${(s: :)STSENV_VARS}; do
            case " $__stsenv_managed " in
            (*" $__stsenv_n "*) \builtin unset "$__stsenv_n" ;;
            esac
        done
    fi
    __stsenv_ps1_remove
    \builtin unset STSENV_SEGMENT STSENV_SEGMENT_LEVEL __stsenv_expiry __stsenv_role \
        __stsenv_minutes __stsenv_prompt_off __stsenv_ps1_text __stsenv_warned __stsenv_use_args
    \builtin typeset -g __stsenv_next=0 __stsenv_drawn=
}

# --- activate ---
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
    \builtin setopt local_options no_glob_subst no_sh_word_split no_ksh_arrays # see below
    \builtin typeset -g +x __stsenv_expiry=$STSENV_EXPIRY __stsenv_role=${STSENV_ROLE-}
    \builtin typeset -g +x __stsenv_minutes=-1 # forces the first draw
    \builtin typeset -g +x __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    # What `refresh` may renew: the `use` arguments of a role started by this shell's own
    # wrapper, kept unexported. (Never the old STSENV_TARGET: the program does not
    # clear it, so it could be a parent shell's.)
    if [[ -n ${__stsenv_own-} ]]; then
        \builtin typeset -g +x __stsenv_use_args=${STSENV_USE_ARGS-}
    else
        \builtin unset __stsenv_use_args
    fi
    __stsenv_tick activate
}

# --- clock ---
# The clock without a process: zsh/datetime's EPOCHSECONDS, never one from the environment.
# (An inherited EPOCHSECONDS keeps the module from loading, and then "path[$(cmd)1]" in it
# would run at every prompt, "1000" would stop the clock: it is dropped.)
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
if [[ ${parameters[EPOCHSECONDS]-} != *special* ]]; then
    \builtin unset EPOCHSECONDS 2>/dev/null
    \builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
fi

# Seconds since the epoch into __stsenv_now: the module's, or (only without zsh/datetime)
# one `date` per call; anything but digits from it ends the role.
__stsenv_clock() {
    if [[ ${parameters[EPOCHSECONDS]-} == *special* ]]; then
        \builtin typeset -g +x __stsenv_now=$EPOCHSECONDS
    else
        \builtin typeset -g +x __stsenv_now=$(\command date +%s)
        [[ -n $__stsenv_now && $__stsenv_now != *[^0-9]* ]] || __stsenv_now=${__stsenv_expiry:-0}
    fi
}

# --- prompt hook ---
# Runs before every prompt (precmd). Spawns no process. zsh hands every precmd function
# the user's $? and restores it for the prompt itself, so this returns 0: under ERR_EXIT
# a non-zero status here would end the shell. The usual prompt makes one test: no role and
# $PWD the directory last looked at (see "directory"); or, a role active, before
# __stsenv_next (the next second at which anything shown changes) with $PWD, PS1, the
# opt-out and the prompt options (which decide how PS1 is expanded) as this hook left
# them. Everything else goes to __stsenv_due.
if [[ ${parameters[EPOCHSECONDS]-} == *special* ]]; then
    __stsenv_prompt_hook() {
        [[ -z ${__stsenv_expiry-} && $PWD == "$__stsenv_dir_pwd" ]] ||
            [[ EPOCHSECONDS -lt __stsenv_next &&
                $PWD/${STSENV_DISABLE_PROMPT-}/${options[promptsubst]}${options[promptbang]}${options[promptpercent]}/$PS1 == "$__stsenv_drawn" ]] ||
            __stsenv_due
        \builtin return 0
    }
else
    __stsenv_prompt_hook() {
        __stsenv_due
        \builtin return 0
    }
fi

# Something may be due: a new directory, then (a role active) a new minute, the expiry or
# a prompt to redraw.
__stsenv_due() {
    [[ $PWD == "$__stsenv_dir_pwd" ]] || __stsenv_dir_changed
    [[ -z ${__stsenv_expiry-} ]] || __stsenv_tick
}

# --- tick / expiry / warning ---
# A role is active and something is due: a new minute, the expiry, or a prompt to redraw.
# ($1 is "activate" when a role was just exported: never renew it from there.)
__stsenv_tick() {
    # Values pass through `\builtin typeset`, an ordinary command: the user's GLOB_SUBST
    # would glob them ("no matches found" ends an ERR_EXIT shell). Prompt options stay theirs.
    \builtin setopt local_options no_glob_subst no_sh_word_split no_ksh_arrays
    __stsenv_clock
    # Integers: FORCE_FLOAT would otherwise show "59.5m".
    \builtin local -i __stsenv_left=$((__stsenv_expiry - __stsenv_now))
    \builtin local -i __stsenv_m=$((__stsenv_left / 60))
    if ((__stsenv_left <= 0)); then
        # A role entered from a .stsenv.toml is renewed if that needs no input.
        if [[ ${1-} != activate ]] && __stsenv_dir_renew; then \builtin return 0; fi
        \builtin print -ru2 -- "stsenv: role $__stsenv_role expired; its credentials were cleared"
        __stsenv_restore
        \builtin return 0
    fi
    __stsenv_draw $__stsenv_m
    # Once per role: the last threshold is crossed (the minutes only change when
    # __stsenv_next is reached, so this costs the usual prompt nothing).
    if [[ $STSENV_SEGMENT_LEVEL == urgent && ${__stsenv_warned-} != "$__stsenv_expiry" ]]; then
        \builtin typeset -g +x __stsenv_warned=$__stsenv_expiry
        # A role that starts inside the last threshold crossed nothing (the program has just
        # said how long it has): only a prompt says so, and only a prompt renews.
        [[ ${1-} == activate ]] || __stsenv_expiring
    fi
    \builtin return 0
}

# Say that the role is about to expire; with STSENV_AUTO_REFRESH=1, at a prompt, renew it
# (the only time a prompt starts a process). The program asks no MFA code there: when one
# is needed, the renewal fails with its own one-line message and the role runs out.
__stsenv_expiring() {
    # A role entered from a .stsenv.toml is renewed now if that needs no input.
    ! __stsenv_dir_renew || \builtin return 0
    \builtin print -ru2 -- "stsenv: $__stsenv_role expires in ${__stsenv_minutes}m — \`stsenv refresh\` to renew, \`stsenv exec --server\` for a job that must outlive it"
    # Only a role started in this shell is renewed: an inherited one has nothing to renew it
    # with but what the environment says.
    if [[ ${STSENV_AUTO_REFRESH-} == 1 && -n ${__stsenv_use_args-} ]]; then
        \builtin print -ru2 -- "stsenv: renewing $__stsenv_role (STSENV_AUTO_REFRESH=1)"
        \builtin local -x STSENV_NO_INPUT=1 # for the program, for this function only
        stsenv refresh || :
    fi
}

# A threshold from the environment: digits only (arithmetic on text runs code), else $2;
# into the caller's local __stsenv_setting.
__stsenv_minutes_setting() {
    case $1 in
    ('' | *[^0-9]* | ?????*) __stsenv_setting=$2 ;;
    (*) __stsenv_setting=$((10#$1)) ;;
    esac
}

# --- draw ---
__stsenv_draw() {
    \builtin local __stsenv_text __stsenv_setting __stsenv_on= __stsenv_off=
    \builtin local -i __stsenv_n=$((__stsenv_expiry - ($1 > 0 ? $1 * 60 - 1 : 0)))
    # The second at which the minute shown changes (for the last minute: the expiry). The
    # style only changes with the minute, so this is the next second anything shown changes.
    \builtin typeset -g __stsenv_next=$__stsenv_n
    \builtin typeset -g +x __stsenv_minutes=$1 __stsenv_prompt_off=${STSENV_DISABLE_PROMPT-}
    # For custom prompts (p10k, starship...): the bare segment and its style.
    \builtin typeset -g STSENV_SEGMENT="$__stsenv_role ${1}m" STSENV_SEGMENT_LEVEL=normal
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
    # What the prompt hook compares: the directory last looked at (not $PWD: a `cd` in the
    # command that drew is still due), the opt-out, the prompt options, PS1.
    \builtin local __stsenv_how=${__stsenv_dir_pwd-}/$__stsenv_prompt_off/${options[promptsubst]}${options[promptbang]}${options[promptpercent]}
    \builtin typeset -g __stsenv_drawn=$__stsenv_how/$PS1
    [[ $__stsenv_prompt_off != 1 ]] || \builtin return 0
    # A prompt framework that draws its own segment (starship's aws module reads
    # AWS_CREDENTIAL_EXPIRATION; powerlevel10k shows STSENV_SEGMENT with prompt_stsenv):
    # stand aside, unless STSENV_DISABLE_PROMPT=0 asks for the prefix anyway.
    if [[ $__stsenv_prompt_off != 0 ]] &&
        [[ -n ${STARSHIP_SHELL-} || -n ${POWERLEVEL9K_LEFT_PROMPT_ELEMENTS-} ]]; then
        \builtin return 0
    fi
    # The format is user data like the role name: placeholders are replaced as plain text,
    # and the result made inert below. Minutes first, so a role name containing
    # "{minutes}" stays as it is.
    __stsenv_text=${STSENV_PROMPT_FORMAT:-"[{role} {minutes}m] "}
    __stsenv_text=${__stsenv_text//"{minutes}"/$1}
    __stsenv_text=${__stsenv_text//"{role}"/$__stsenv_role}
    # The role name comes from user config and must reach the prompt inert. Prompt
    # expansion runs `$` (PROMPT_SUBST) first, then `!` (PROMPT_BANG), then `%`
    # (PROMPT_PERCENT) over the result: escape the last two in the text itself...
    if [[ -o promptbang ]]; then
        __stsenv_text=${__stsenv_text//\!/!!}
    fi
    if [[ -o promptpercent ]]; then
        __stsenv_text=${__stsenv_text//\%/%%}
        # Colours come from here only, as %F/%B, whose width zsh knows is zero.
        if [[ $STSENV_SEGMENT_LEVEL != normal && -z ${NO_COLOR-} && ${TERM-} != dumb ]]; then
            __stsenv_on='%F{yellow}' __stsenv_off='%f'
            [[ $STSENV_SEGMENT_LEVEL != urgent ]] || __stsenv_on='%B%F{red}' __stsenv_off='%f%b'
        fi
    fi
    if [[ -o promptsubst ]]; then
        # ...and under PROMPT_SUBST insert a reference: an expanded value is not expanded
        # again, so `$(...)` and backticks in it stay text.
        \builtin typeset -g +x __stsenv_ps1_text=$__stsenv_text
        \builtin typeset -g +x __stsenv_ps1_inserted=$__stsenv_on'${__stsenv_ps1_text-}'$__stsenv_off
    else
        \builtin typeset -g +x __stsenv_ps1_inserted=$__stsenv_on$__stsenv_text$__stsenv_off
    fi
    PS1=$__stsenv_ps1_inserted$PS1
    \builtin typeset -g __stsenv_drawn=$__stsenv_how/$PS1
}

# Strip exactly what __stsenv_draw inserted, so PS1 is byte-identical afterwards.
__stsenv_ps1_remove() {
    if [[ -n ${__stsenv_ps1_inserted-} && $PS1 == "$__stsenv_ps1_inserted"* ]]; then
        PS1=${PS1#"$__stsenv_ps1_inserted"}
    fi
    \builtin typeset -g +x __stsenv_ps1_inserted=
}

# --- stsenv_prompt ---
# `<role> <minutes>m` for custom prompts, computed now; nothing when no role is active.
stsenv_prompt() {
    \builtin emulate -L zsh
    [[ -n ${__stsenv_expiry-} ]] || \builtin return 0
    __stsenv_clock
    \builtin local -i __stsenv_left=$((__stsenv_expiry - __stsenv_now))
    if ((__stsenv_left > 0)); then
        \builtin print -rn -- "$__stsenv_role $((__stsenv_left / 60))m"
    fi
}

# --- install ---
# Install the prompt hook once (add-zsh-hook never adds a function twice).
\builtin autoload -Uz add-zsh-hook
add-zsh-hook precmd __stsenv_prompt_hook

# --- inherited role ---
# A role inherited from a parent shell is shown, and cleared at its expiry, here too; it
# cannot be renewed here (see __stsenv_activate). Loaded twice, the hook keeps its role.
if [[ -n ${STSENV_EXPIRY-} && -z ${__stsenv_expiry-} ]]; then
    __stsenv_activate
fi

# --- directory ---
# Roles that follow the directory (README "Per-directory roles"). At a prompt whose $PWD is
# not the last one seen, __stsenv_dir_changed walks up to the nearest .stsenv.toml with
# builtin tests only; only when that file (its path) changes does anything happen. Leaving
# a tree the hook entered puts back the state from before it, with no process; entering one
# runs the program once (`stsenv __enter FILE` through the wrapper, asking nothing), which
# reads the file as data and changes nothing unless the user allowed it. The shell never
# reads the file. The prompt hook, not chpwd, notices: `cd -q`, a new shell opened in the
# tree and `exec zsh` run no chpwd. These functions take the user's options (the wrapper's
# eval draws the prompt with them), so every expansion here is quoted or split explicitly.
\builtin typeset -g +x __stsenv_dir_pwd="${__stsenv_dir_pwd-}" __stsenv_dir_file="${__stsenv_dir_file-}"
\builtin typeset -g +x __stsenv_dir_warned="${__stsenv_dir_warned-}"

__stsenv_dir_changed() {
    \builtin setopt local_options no_xtrace no_verbose # entering and leaving copy secrets
    # (Values quoted: `\builtin typeset` is an ordinary command under SH_WORD_SPLIT.)
    \builtin local __stsenv_d="$PWD" __stsenv_f=
    \builtin typeset -g +x __stsenv_dir_pwd="$PWD"
    [[ $__stsenv_d != / ]] || __stsenv_d=
    # The nearest file. zsh's tests are cheap and its loops are not: the 16 nearest levels
    # in one test (`:h`: the path without its last part; at / it stays /); level by level
    # only when one of them has a file, or above them.
    if [[ -f $__stsenv_d/.stsenv.toml || -f ${__stsenv_d:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h}/.stsenv.toml || -f ${__stsenv_d:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h}/.stsenv.toml || -f ${__stsenv_d:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h}/.stsenv.toml || -f ${__stsenv_d:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ||
        -f ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h:h:h:h:h}/.stsenv.toml ]] ||
        [[ ${__stsenv_d:h:h:h:h:h:h:h:h:h:h:h:h:h:h:h:h} != / ]]; then
        until [[ -f $__stsenv_d/.stsenv.toml || $__stsenv_d != */* ]]; do
            __stsenv_d=${__stsenv_d%/*}
        done
        [[ ! -f $__stsenv_d/.stsenv.toml ]] || __stsenv_f=$__stsenv_d/.stsenv.toml
    fi
    if [[ $__stsenv_f == "$__stsenv_dir_file" && -z ${__stsenv_dir_recheck-} ]]; then
        \builtin return 0
    fi
    \builtin unset __stsenv_dir_recheck
    [[ -z ${__stsenv_dir_entered-} ]] || __stsenv_dir_leave
    \builtin typeset -g +x __stsenv_dir_file="$__stsenv_f"
    [[ -z $__stsenv_f ]] || __stsenv_dir_enter
}

# Enter the tree of $__stsenv_dir_file: keep the state before it (the role then active:
# its names and values), then ask the program. A file it refused (said once: later calls
# for it are quiet) leaves everything as it was.
__stsenv_dir_enter() {
    \builtin local __stsenv_n __stsenv_q=
    case $__stsenv_dir_warned in
    (*"//$__stsenv_dir_file//"*) __stsenv_q=1 ;;
    esac
    \builtin local -x STSENV_NO_INPUT=1 STSENV_DIR_QUIET="$__stsenv_q" # for the program
    __stsenv_dir_forget
    # (A role inherited from a tree, in a shell started inside it, is not kept: it would
    # follow the user out of the tree.)
    if [[ -n ${__stsenv_expiry-} ]] && [[ -n ${__stsenv_saved+x} || -z ${STSENV_PROJECT_FILE-} ]]; then
        \builtin typeset -g +x __stsenv_dir_pre=1 __stsenv_dir_pre_own="${__stsenv_use_args-}"
        \builtin typeset -g +x __stsenv_dir_pre_names=
        for __stsenv_n in ${(s: :)${STSENV_VARS-}}; do
            case " $__stsenv_managed " in
            (*" $__stsenv_n "*) ;;
            (*) \builtin continue ;;
            esac
            __stsenv_dir_pre_names+=" $__stsenv_n"
            if ((${(P)+__stsenv_n})); then
                \builtin typeset -g +x "__stsenv_dir_pre_v_$__stsenv_n=${(P)__stsenv_n}"
            fi
        done
    fi
    if stsenv __enter "$__stsenv_dir_file"; then
        \builtin typeset -g +x __stsenv_dir_entered=1 __stsenv_dir_expiry="${__stsenv_expiry-}"
    else
        [[ -n $__stsenv_q ]] || __stsenv_dir_warned+="//$__stsenv_dir_file//"
        __stsenv_dir_forget
    fi
}

# Forget the state kept from before the tree.
__stsenv_dir_forget() {
    \builtin local __stsenv_n
    for __stsenv_n in ${(s: :)${__stsenv_dir_pre_names-}}; do
        \builtin unset "__stsenv_dir_pre_v_$__stsenv_n"
    done
    \builtin unset __stsenv_dir_pre __stsenv_dir_pre_own __stsenv_dir_pre_names
}

# Leave the tree: exactly the state from before it, as `clear` and the wrapper make it (the
# baseline, plus the role then active with its values; it is shown again, or ends now if
# its time is up). No process.
__stsenv_dir_leave() {
    \builtin local __stsenv_n __stsenv_v __stsenv_own
    \builtin unset __stsenv_dir_entered __stsenv_dir_expiry
    __stsenv_restore
    if [[ -z ${__stsenv_dir_pre-} ]]; then
        __stsenv_dir_forget
        \builtin return 0
    fi
    __stsenv_save ${(s: :)__stsenv_dir_pre_names}
    for __stsenv_n in ${(s: :)__stsenv_dir_pre_names}; do
        __stsenv_v=__stsenv_dir_pre_v_$__stsenv_n
        if ((${(P)+__stsenv_v})); then
            \builtin typeset -gx "$__stsenv_n=${(P)__stsenv_v}"
        else
            \builtin unset "$__stsenv_n"
        fi
    done
    __stsenv_own=$__stsenv_dir_pre_own # seen by __stsenv_activate: renewable if it was
    __stsenv_dir_forget
    __stsenv_activate
}

# At the expiry of the role entered from the governing file (not one the user started
# inside the tree): enter again, asking nothing. Fails (status 1) when that cannot be done.
__stsenv_dir_renew() {
    [[ -n ${__stsenv_dir_entered-} && ${__stsenv_expiry-} == "${__stsenv_dir_expiry-}" ]] ||
        \builtin return 1
    \builtin local -x STSENV_NO_INPUT=1 STSENV_DIR_QUIET= STSENV_QUIET=1 # silently
    stsenv __enter "$__stsenv_dir_file" || \builtin return 1
    \builtin typeset -g +x __stsenv_dir_expiry="${__stsenv_expiry-}"
}

# --- completion ---
# TAB completion: its script (`stsenv completion zsh`) is loaded at the first TAB, so a new
# shell starts no process for it. It needs compinit to have run before this hook (as
# oh-my-zsh and plugin managers do); a completion already set for stsenv is kept.
if (( ${+functions[compdef]} )) && [[ -z ${_comps[stsenv]-} ]]; then
    __stsenv_complete_load() {
        \builtin eval "$(\command stsenv completion zsh)"
        if (( ${+functions[_stsenv]} )); then _stsenv "$@"; fi
    }
    compdef __stsenv_complete_load stsenv
fi
