# stsenv hook for fish (>= 3.5): `stsenv hook fish | source` in ~/.config/fish/config.fish
# (or source this file). Protocol: shell/README.md. Private names start with __stsenv_.
# Only global variables are read or changed, never universal ones. Safe to load twice.

# --- load-time reset ---
# The hook owns every __stsenv_* name, and nothing under one may come from the environment:
# a forged baseline would be "restored", and an inherited variable keeps its export flag
# through `set -g` (the baseline's long-term keys would reach every child). So at the first
# load in a shell they are all dropped. Loaded again, the hook keeps its state: its marker
# holds this shell's PID and is never exported, while anything inherited is.
if not set -q -g __stsenv_loaded; or set -q -g -x __stsenv_loaded
    or builtin test "$__stsenv_loaded" != "$fish_pid"
    for name in (set -n | builtin string match -- '__stsenv_*')
        set -e -g $name
    end
    set -g -u __stsenv_loaded $fish_pid
end

# --- wrapper ---
set -g -u __stsenv_hook_version 0.1.0 # the program's version; `stsenv doctor` compares them

# Only verbs that change the environment are evaluated, and only on success.
function stsenv --description 'Assume AWS IAM roles in this shell'
    # Under fish_trace the secrets would be traced (the role's keys, the saved baseline):
    # off in here and in what this calls, back as it was on return.
    set -l fish_trace
    switch "$argv[1]"
        case use clear refresh __enter
            # Collected as one string (newlines kept); Ctrl-C stops the program, and the
            # non-zero status then stops us before the eval.
            set -l out (__stsenv_run_with_baseline $argv | builtin string collect --no-trim-newlines)
            set -l rc $pipestatus[1]
            if test $rc -ne 0
                return $rc
            end
            # A name the code cannot set would stop it half-way, keys exported and no role
            # shown: every name is checked before anything changes.
            set -l first (builtin string split -m 1 \n -- "$out")[1]
            if builtin string match -q -- '__stsenv_save *' "$first"
                __stsenv_check (builtin string split ' ' -- $first)[2..]; or return 1
            end
            # The printed code describes "baseline + this role": start from the baseline.
            __stsenv_restore
            set -g -u __stsenv_own 1 # seen by __stsenv_activate: started in this shell
            builtin eval $out
            set rc $status
            set -e -g __stsenv_own
            return $rc
        case exec export credential-process login logout
            # These get credentials from the user's own source, as a new shell would, not
            # from the active role: the program runs with the baseline.
            __stsenv_run_with_baseline $argv
        case allow deny
            # A project file trusted or not any more: the next prompt looks at it again.
            command stsenv $argv; or return
            set -e -g __stsenv_dir_pwd __stsenv_dir_warned __stsenv_idle
            set -g -u __stsenv_dir_recheck 1
        case doctor
            # doctor checks this hook from outside: tell it the shell, the hook's version
            # and which functions run at the prompt event (unexported shell state).
            set -lx STSENV_SHELL fish
            set -lx STSENV_HOOK_VERSION $__stsenv_hook_version
            set -lx STSENV_PROMPT_HOOKS (builtin functions --handlers-type generic |
                builtin string match -e fish_prompt)
            command stsenv $argv
        case '*'
            command stsenv $argv
    end
end

# Run the program with the baseline environment. fish has no subshell, so the role's
# variables are shadowed by function-scoped copies of the baseline, exported or not as they
# were; a name that was unset is passed as empty, which the program reads as unset.
function __stsenv_run_with_baseline
    # `refresh` needs the `use` arguments, which the baseline lacks: those of the role this
    # shell started (an inherited role's could name any source; it gets none).
    set -fx STSENV_REFRESH_ARGS "$__stsenv_use_args"
    if set -q -g __stsenv_saved
        for name in $__stsenv_saved
            set -l old __stsenv_old_$name
            set -l attr __stsenv_attr_$name
            if set -q -g $old; and builtin test "$$attr" = x
                set -fx $name $$old
            else if set -q -g $old
                set -fu $name $$old
            else
                set -fx $name
            end
        end
    else if set -q STSENV_VARS
        # A role inherited from a parent shell: hide all of it (the names this hook manages:
        # the list comes from the environment).
        for name in (builtin string split ' ' -- $STSENV_VARS)
            if contains -- $name $__stsenv_managed
                set -fx $name
            end
        end
    end
    set -fx STSENV_SHELL fish
    command stsenv $argv
end

# Can every NAME be set now and put back exactly later? If not, one line says which, and
# nothing changes. (fish's own read-only variables refuse even a local.)
function __stsenv_check
    for name in $argv
        if not contains -- $name $__stsenv_managed
            builtin printf 'stsenv: %s is not a name this hook knows (reload the hook: stsenv doctor): the role is not started, nothing was changed\n' $name >&2
            return 1
        end
        if not set -l $name '' 2>/dev/null
            builtin printf 'stsenv: %s is read-only in this shell: the role is not started, nothing was changed\n' $name >&2
            return 1
        end
    end
end

# --- baseline: save / restore ---
# The names stsenv may change (stsenv.envchange.MANAGED_VARS, and STSENV_TARGET, the old
# name of STSENV_USE_ARGS): no other name is ever saved, set back or erased here, whatever
# a list from the environment (STSENV_VARS) says.
set -g -u __stsenv_managed AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE \
    AWS_DEFAULT_PROFILE AWS_SECURITY_TOKEN AWS_SESSION_EXPIRATION STSENV_ROLE \
    STSENV_ARN STSENV_EXPIRY STSENV_STAMP STSENV_USE_ARGS STSENV_VARS \
    STSENV_TARGET STSENV_PROJECT_FILE

# Record the current value (or "was unset") of each NAME not recorded yet, and whether it
# was exported, in global variables that are never exported (the baseline may hold
# long-term keys): `-u` each time, since `set -g` keeps the flag a variable already has.
function __stsenv_save
    set -l fish_trace # the baseline's secrets: never traced
    for name in $argv
        contains -- $name $__stsenv_managed; or continue
        contains -- $name $__stsenv_saved; and continue
        set -g -u __stsenv_saved $__stsenv_saved $name
        if set -q -g $name
            set -g -u __stsenv_old_$name $$name
            if set -q -g -x $name
                set -g -u __stsenv_attr_$name x
            else
                set -g -u __stsenv_attr_$name ''
            end
        else
            set -e -g __stsenv_old_$name __stsenv_attr_$name
        end
    end
end

# Put the baseline back (old value, exported or not; or erased) and forget it; silent.
function __stsenv_restore
    set -l fish_trace # the baseline's secrets: never traced (the expiry path too)
    if set -q -g __stsenv_saved
        for name in $__stsenv_saved
            set -l old __stsenv_old_$name
            set -l attr __stsenv_attr_$name
            if set -q -g $old; and builtin test "$$attr" = x
                set -gx $name $$old
            else if set -q -g $old
                set -gu $name $$old
            else
                set -e -g $name
            end
            set -e -g $old $attr
        end
        set -e -g __stsenv_saved
    else if set -q STSENV_VARS
        # A role inherited from a parent shell: no baseline here, so drop its names (those
        # this hook manages: the list comes from the environment).
        for name in (builtin string split ' ' -- $STSENV_VARS)
            if contains -- $name $__stsenv_managed
                set -e -g $name
            end
        end
    end
    __stsenv_unwrap_prompt
    set -e -g STSENV_SEGMENT STSENV_SEGMENT_LEVEL __stsenv_expiry __stsenv_stamp __stsenv_role \
        __stsenv_prompt_off __stsenv_lo __stsenv_hi __stsenv_pending __stsenv_warned \
        __stsenv_prompt_text __stsenv_color_on __stsenv_color_off __stsenv_use_args
    return 0
end

# --- activate ---
# Start showing the role that the eval'd code just exported.
function __stsenv_activate
    if not builtin string match -qr '^[1-9][0-9]*$' -- "$STSENV_EXPIRY"
        builtin printf '%s\n' 'stsenv: STSENV_EXPIRY is not a time in epoch seconds; role cleared' >&2
        __stsenv_restore
        return 1
    end
    # The clock is the stamp file's mtime: without one (the program could not make it in a
    # safe cache dir) this shell could never tell the role's end.
    if not builtin test -n "$STSENV_STAMP" -a -f "$STSENV_STAMP"
        builtin printf 'stsenv: no safe clock stamp for %s (cache dir unusable); role cleared\n' \
            "$STSENV_ROLE" >&2
        __stsenv_restore
        return 1
    end
    set -g -u __stsenv_expiry $STSENV_EXPIRY
    set -e -g __stsenv_idle # the prompt hook has a role to show
    set -g -u __stsenv_stamp "$STSENV_STAMP"
    set -g -u __stsenv_role "$STSENV_ROLE"
    set -g -u __stsenv_prompt_off "$STSENV_DISABLE_PROMPT"
    # What `refresh` may renew: the `use` arguments of a role started by this shell's own
    # wrapper, kept unexported. (Never the old STSENV_TARGET: the program does not
    # clear it, so it could be a parent shell's.)
    if set -q -g __stsenv_own
        set -g -u __stsenv_use_args "$STSENV_USE_ARGS"
    else
        set -e -g __stsenv_use_args
    end
    # An empty range: the first tick draws.
    set -g -u __stsenv_lo 1
    set -g -u __stsenv_hi 0
    __stsenv_tick activate
end

# --- clock ---
# fish has no builtin clock, but the program stamped $STSENV_STAMP's mtime with the expiry,
# so `path mtime --relative` is now - expiry, with no process. When the stamp is gone (the
# cache was cleaned) this gives it from `date`, one process per prompt until the role ends;
# anything but digits from it ends the role.
function __stsenv_clock
    set -l now (command date +%s)
    if builtin string match -qr '^[1-9][0-9]*$' -- "$now"
        builtin math $now - $__stsenv_expiry
    else
        builtin echo 0
    end
end

# --- prompt hook ---
# Runs before every prompt. Spawns no process. With no role the usual prompt makes one
# test: __stsenv_idle is set while nothing can be due before $PWD changes (fish says so at
# once: __stsenv_pwd_changed erases it) or a role starts (__stsenv_activate erases it).
# With a role, every prompt runs __stsenv_tick (fish's clock is the stamp file's mtime).
function __stsenv_prompt_hook --on-event fish_prompt
    set -q -g __stsenv_idle; and return 0
    builtin test "$PWD" = "$__stsenv_dir_pwd"; or __stsenv_dir_changed
    if set -q -g __stsenv_expiry
        __stsenv_tick
    else
        set -g -u __stsenv_idle 1
    end
end

# $PWD changed (in a function or script too): the next prompt looks at the directory.
function __stsenv_pwd_changed --on-variable PWD
    set -e -g __stsenv_idle
end

# --- tick / expiry / warning ---
# ($argv[1] is "activate" when a role was just exported: never renew it from there.)
function __stsenv_tick
    builtin path mtime --relative -- $__stsenv_stamp | builtin read -l rel
    or set rel (__stsenv_clock)
    if builtin test $rel -ge 0
        # A role entered from a .stsenv.toml is renewed if that needs no input.
        if builtin test "$argv[1]" != activate; and __stsenv_dir_renew
            return 0
        end
        builtin printf 'stsenv: role %s expired; its credentials were cleared\n' $__stsenv_role >&2
        __stsenv_restore
    else if builtin test $rel -lt $__stsenv_lo -o $rel -gt $__stsenv_hi
        or builtin test "$STSENV_DISABLE_PROMPT" != "$__stsenv_prompt_off"
        __stsenv_draw $rel # the minute or the opt-out changed
        # Once per role: the last threshold is crossed (only when the minute changes).
        if builtin test "$STSENV_SEGMENT_LEVEL" = urgent -a "$__stsenv_warned" != "$__stsenv_expiry"
            set -g -u __stsenv_warned $__stsenv_expiry
            # A role that starts inside the last threshold crossed nothing (the program has just
            # said how long it has): only a prompt says so, and only a prompt renews.
            builtin test "$argv[1]" = activate; or __stsenv_expiring
        end
    else if set -q -g __stsenv_pending
        # Our fish_prompt did not run at the last prompt: the user redefined fish_prompt.
        __stsenv_wrap_prompt
    end
    if set -q -g __stsenv_user_fish_prompt_wrapped
        set -g -u __stsenv_pending 1
    end
    return 0
end

# Say that the role is about to expire; with STSENV_AUTO_REFRESH=1, at a prompt, renew it
# (the only time a prompt starts a process). The program asks no MFA code there: when one
# is needed, the renewal fails with its own one-line message and the role runs out.
function __stsenv_expiring
    # A role entered from a .stsenv.toml is renewed now if that needs no input.
    __stsenv_dir_renew; and return 0
    builtin printf 'stsenv: %s expires in %sm — `stsenv refresh` to renew, `stsenv exec --server` for a job that must outlive it\n' \
        $__stsenv_role (builtin math --scale=0 "floor(-($__stsenv_hi) / 60)") >&2
    # Only a role started in this shell is renewed: an inherited one has nothing to renew it
    # with but what the environment says.
    if builtin test "$STSENV_AUTO_REFRESH" = 1 -a -n "$__stsenv_use_args"
        builtin printf 'stsenv: renewing %s (STSENV_AUTO_REFRESH=1)\n' $__stsenv_role >&2
        STSENV_NO_INPUT=1 stsenv refresh
    end
    return 0
end

# A threshold from the environment: digits only, else the default.
function __stsenv_minutes_setting --argument-names value default
    if builtin string match -qr '^[0-9]{1,4}$' -- "$value"
        builtin math $value
    else
        builtin echo $default
    end
end

# --- draw ---
function __stsenv_draw --argument-names rel
    set -l minutes (builtin math --scale=0 "floor(-($rel) / 60)")
    # The range of `now - expiry` that shows these minutes (the style changes only with
    # the minute, so nothing else shown changes inside it).
    set -g -u __stsenv_lo (builtin math "-60 * $minutes - 59")
    set -g -u __stsenv_hi (builtin math "-60 * $minutes")
    # For custom prompts (tide, bobthefish...): the bare segment and its style.
    set -g STSENV_SEGMENT "$__stsenv_role "$minutes"m"
    set -g STSENV_SEGMENT_LEVEL normal
    if builtin test $minutes -lt (__stsenv_minutes_setting "$STSENV_URGENT_MINUTES" 5)
        set -g STSENV_SEGMENT_LEVEL urgent
    else if builtin test $minutes -lt (__stsenv_minutes_setting "$STSENV_WARN_MINUTES" 10)
        set -g STSENV_SEGMENT_LEVEL warning
    end
    # The format is user data like the role name: placeholders are replaced as plain text
    # (minutes first, so a role name containing "{minutes}" stays as it is), and fish_prompt
    # prints the result, never evaluates it.
    set -l format '[{role} {minutes}m] '
    builtin test -n "$STSENV_PROMPT_FORMAT"; and set format "$STSENV_PROMPT_FORMAT"
    set -g -u __stsenv_prompt_text (builtin string replace -a -- '{minutes}' $minutes "$format" |
        builtin string replace -a -- '{role}' "$__stsenv_role" | builtin string collect)
    # Colours come from here only (set_color is a builtin: no process).
    set -g -u __stsenv_color_on ''
    set -g -u __stsenv_color_off ''
    if builtin test $STSENV_SEGMENT_LEVEL != normal -a -z "$NO_COLOR" -a "$TERM" != dumb
        set -g __stsenv_color_off (builtin set_color normal)
        if builtin test $STSENV_SEGMENT_LEVEL = urgent
            set -g __stsenv_color_on (builtin set_color --bold red)
        else
            set -g __stsenv_color_on (builtin set_color yellow)
        end
    end
    set -g -u __stsenv_prompt_off "$STSENV_DISABLE_PROMPT"
    # A prompt framework that draws its own segment (starship's aws module reads
    # AWS_CREDENTIAL_EXPIRATION; tide and bobthefish items can show STSENV_SEGMENT):
    # stand aside, unless STSENV_DISABLE_PROMPT=0 asks for the prefix anyway.
    set -l framework
    if set -q STARSHIP_SHELL; or set -q tide_left_prompt_items; or builtin functions -q __bobthefish_glyphs
        set framework 1
    end
    if builtin test "$__stsenv_prompt_off" = 1
        or builtin test -n "$framework" -a "$__stsenv_prompt_off" != 0
        __stsenv_unwrap_prompt
    else
        __stsenv_wrap_prompt
    end
end

# fish has no prompt string to prefix: while a role is shown, fish_prompt is ours, and it
# calls a copy of the user's (which stays exactly as it was, and comes back on clear).
function __stsenv_wrap_prompt
    if set -q -g __stsenv_user_fish_prompt_wrapped; and __stsenv_prompt_is_ours
        return 0
    end
    builtin functions --erase __stsenv_user_fish_prompt
    builtin functions --copy fish_prompt __stsenv_user_fish_prompt 2>/dev/null
    set -g -u __stsenv_user_fish_prompt_wrapped 1
    function fish_prompt --description $__stsenv_prompt_description
        # The user's prompt runs first, so it still sees $status and $pipestatus.
        set -l user (__stsenv_user_fish_prompt)
        set -e -g __stsenv_pending
        # Printed, never evaluated: the role name is shown as text.
        builtin printf '%s' "$__stsenv_color_on$__stsenv_prompt_text$__stsenv_color_off"
        builtin printf '%s\n' $user
    end
end

function __stsenv_unwrap_prompt
    set -q -g __stsenv_user_fish_prompt_wrapped; or return 0
    set -e -g __stsenv_user_fish_prompt_wrapped __stsenv_pending
    # Put the user's prompt back only if fish_prompt is still ours.
    if __stsenv_prompt_is_ours
        builtin functions --erase fish_prompt
        builtin functions --copy __stsenv_user_fish_prompt fish_prompt 2>/dev/null
    end
    builtin functions --erase __stsenv_user_fish_prompt
end
set -g -u __stsenv_prompt_description 'stsenv: the role segment, then your prompt'

function __stsenv_prompt_is_ours
    set -l details (builtin functions --details --verbose fish_prompt)
    builtin test "$details[5]" = $__stsenv_prompt_description
end

# --- stsenv_prompt ---
# `<role> <minutes>m` for custom prompts, computed now; nothing when no role is active.
function stsenv_prompt
    set -q -g __stsenv_expiry; or return 0
    builtin path mtime --relative -- $__stsenv_stamp | builtin read -l rel
    or set rel (__stsenv_clock)
    if builtin test $rel -lt 0
        builtin printf '%s %sm' $__stsenv_role (builtin math --scale=0 "floor(-($rel) / 60)")
    end
end

# --- install ---
# Nothing to run: `--on-event fish_prompt` on __stsenv_prompt_hook installed it when it was
# defined, next to any other handler, and a function redefined on a second load is still
# one handler.

# --- inherited role ---
# A role inherited from a parent shell is shown, and cleared at its expiry, here too; it
# cannot be renewed here (see __stsenv_activate). Loaded twice, the hook keeps its role.
set -e -g __stsenv_own
if set -q STSENV_EXPIRY; and not set -q -g __stsenv_expiry
    __stsenv_activate
end

# --- directory ---
# Roles that follow the directory (README "Per-directory roles"). At a prompt whose $PWD is
# not the last one seen, __stsenv_dir_changed walks up to the nearest .stsenv.toml with
# builtins only; only when that file (its path) changes does anything happen. Leaving a
# tree the hook entered puts back the state from before it, with no process; entering one
# runs the program once (`stsenv __enter FILE` through the wrapper, asking nothing), which
# reads the file as data and changes nothing unless the user allowed it. The shell never
# reads the file. The prompt event, not `--on-variable PWD`, notices (the PWD event only
# marks the next prompt as due): a new shell opened in the tree has no PWD event, and a
# function that visits a directory should not enter it.

function __stsenv_dir_changed
    set -l fish_trace # entering and leaving copy the role's secrets: never traced
    set -g -u __stsenv_dir_pwd "$PWD"
    set -l d "$PWD"
    set -l f ''
    builtin test "$d" = /; and set d ''
    while true
        if builtin test -f "$d/.stsenv.toml"
            set f "$d/.stsenv.toml"
            break
        end
        builtin string match -q -- '*/*' "$d"; or break
        set d (builtin string replace -r -- '/[^/]*\z' '' "$d")
    end
    if builtin test "$f" = "$__stsenv_dir_file"; and not set -q -g __stsenv_dir_recheck
        return 0
    end
    set -e -g __stsenv_dir_recheck
    set -q -g __stsenv_dir_entered; and __stsenv_dir_leave
    set -g -u __stsenv_dir_file "$f"
    builtin test -n "$f"; and __stsenv_dir_enter
    return 0
end

# Enter the tree of $__stsenv_dir_file: keep the state before it (the role then active:
# its names and values), then ask the program. A file it refused (said once: later calls
# for it are quiet) leaves everything as it was.
function __stsenv_dir_enter
    set -l fish_trace # entering and leaving copy the role's secrets: never traced
    set -l quiet ''
    contains -- "$__stsenv_dir_file" $__stsenv_dir_warned; and set quiet 1
    __stsenv_dir_forget
    # (A role inherited from a tree, in a shell started inside it, is not kept: it would
    # follow the user out of the tree.)
    if set -q -g __stsenv_expiry; and begin
            set -q -g __stsenv_saved; or not set -q STSENV_PROJECT_FILE
        end
        set -g -u __stsenv_dir_pre 1
        set -g -u __stsenv_dir_pre_own "$__stsenv_use_args"
        set -g -u __stsenv_dir_pre_names
        for name in (builtin string split ' ' -- "$STSENV_VARS")
            contains -- $name $__stsenv_managed; or continue
            set -g -u -a __stsenv_dir_pre_names $name
            if set -q -g $name
                set -g -u __stsenv_dir_pre_v_$name $$name
            end
        end
    end
    if STSENV_NO_INPUT=1 STSENV_DIR_QUIET=$quiet stsenv __enter "$__stsenv_dir_file"
        set -g -u __stsenv_dir_entered 1
        set -g -u __stsenv_dir_expiry "$__stsenv_expiry"
    else
        builtin test -n "$quiet"; or set -g -u -a __stsenv_dir_warned "$__stsenv_dir_file"
        __stsenv_dir_forget
    end
    return 0
end

# Forget the state kept from before the tree.
function __stsenv_dir_forget
    for name in $__stsenv_dir_pre_names
        set -e -g __stsenv_dir_pre_v_$name
    end
    set -e -g __stsenv_dir_pre __stsenv_dir_pre_own __stsenv_dir_pre_names
    return 0
end

# Leave the tree: exactly the state from before it, as `clear` and the wrapper make it (the
# baseline, plus the role then active with its values; it is shown again, or ends now if
# its time is up). No process.
function __stsenv_dir_leave
    set -l fish_trace # entering and leaving copy the role's secrets: never traced
    set -e -g __stsenv_dir_entered __stsenv_dir_expiry
    __stsenv_restore
    if not set -q -g __stsenv_dir_pre
        __stsenv_dir_forget
        return 0
    end
    __stsenv_save $__stsenv_dir_pre_names
    for name in $__stsenv_dir_pre_names
        set -l old __stsenv_dir_pre_v_$name
        if set -q -g $old
            set -gx $name $$old
        else
            set -e -g $name
        end
    end
    # Seen by __stsenv_activate: renewable if it was.
    builtin test -n "$__stsenv_dir_pre_own"; and set -g -u __stsenv_own 1
    __stsenv_dir_forget
    __stsenv_activate
    set -e -g __stsenv_own
    return 0
end

# At the expiry of the role entered from the governing file (not one the user started
# inside the tree): enter again, asking nothing. Fails (status 1) when that cannot be done.
function __stsenv_dir_renew
    set -q -g __stsenv_dir_entered; or return 1
    builtin test "$__stsenv_expiry" = "$__stsenv_dir_expiry"; or return 1
    STSENV_NO_INPUT=1 STSENV_DIR_QUIET= STSENV_QUIET=1 stsenv __enter "$__stsenv_dir_file"
    or return 1
    set -g -u __stsenv_dir_expiry "$__stsenv_expiry"
end

# --- completion ---
# TAB completion: its script (`stsenv completion fish`) is loaded at the first TAB, so a new
# shell starts no process for it. A completion already set for stsenv is kept.
function __stsenv_complete_load
    command stsenv completion fish | source # replaces this loader
    functions -q __stsenv_complete; and __stsenv_complete
end
builtin complete -c stsenv | builtin string length -q
or builtin complete -c stsenv -f -a '(__stsenv_complete_load)'
