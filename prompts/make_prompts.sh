#!/usr/bin/env bash
# Make the prompts from the texts beside them: espeak-ng speaks each <lang>/<name>.txt (German
# voice "de", English "en-us", speed 150 words/min), sox turns it into 8 kHz mono 16-bit WAV at
# -3 dBFS peak. Real deployments replace these with recorded voices of the same names.
# Needs Debian's espeak-ng and sox.
set -euo pipefail
cd "$(dirname "$0")"
make_one() {  # voice text-file wav-file
    espeak-ng -v "$1" -s 150 -w /tmp/konform-prompt.wav -f "$2"
    sox /tmp/konform-prompt.wav -r 8000 -c 1 -b 16 "$3" norm -3
}
for lang in de en; do
    voice=$([ "$lang" = de ] && echo de || echo en-us)
    for text in "$lang"/*.txt; do
        make_one "$voice" "$text" "${text%.txt}.wav"
    done
done
# The far end's callees and the agents' phones (sandbox only).
for text in ../dialplan/farend/sounds/*.txt ../dialplan/phones/sounds/*.txt; do
    make_one de "$text" "${text%.txt}.wav"
done
rm -f /tmp/konform-prompt.wav
