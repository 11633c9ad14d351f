# TAB completion for stsenv in fish. The hook loads it by itself at the first TAB; without
# the hook: `stsenv completion fish | source` in config.fish, or save the output of
# `stsenv completion fish` as ~/.config/fish/completions/stsenv.fish.
# The candidates ("value<TAB>description") come from the program (`stsenv __complete`),
# built from the same table as its verbs and options.
function __stsenv_complete
    # The token under the cursor as the command will see it, without the user's quoting
    # (fish quotes what it inserts by itself).
    set -l token (commandline -ct)
    set -l word (builtin string unescape -- $token); or set word $token
    command stsenv __complete fish (commandline -opc)[2..] "$word" 2>/dev/null
end
complete -c stsenv -e
complete -c stsenv -f -a '(__stsenv_complete)'
