#!/usr/bin/env bash
# Fails when code under lib/ or app/ prints or formats text other than
# through fmt and weft/util/out.hpp (ARCHITECTURE.md, util): a call of the
# printf family (printf, fprintf, snprintf, sprintf, their v… forms), puts,
# fputs, putchar, perror, or iostream (std::cout, std::cerr, std::clog,
# std::cin, #include <iostream>). Calls are matched, with string and
# character literals and comments removed first, so a string or a comment
# that names printf does not trip it.
# Usage: output.sh [SOURCE_DIR]  (default: the repository of this script)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
mapfile -t files < <(find lib app -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' \) \
    ! -path lib/weft/util/out.hpp | sort)
# perl, one file at a time, one pass from left to right over what hides
# code: raw strings R"(…)", /* */ comments (both may span lines), //
# comments, "…" and '…' literals (not a digit separator: 60'000). Each is
# blanked, its newlines kept, so line numbers stay true.
bad=$(perl -0777 -ne '
    my $text = $_;
    my @lines = split /\n/, $text, -1;
    (my $clean = $text) =~ s{
        R"([^(\s]*)\(.*?\)\1"
      | /\*.*?\*/
      | //[^\n]*
      | "(?:\\.|[^"\\\n])*"
      | (?<![\w])\x27(?:\\.|[^\x27\\\n])*\x27
    }{my $m = $&; $m =~ s/[^\n]//g; $m}gsex;
    my $n = 0;
    for my $line (split /\n/, $clean, -1) {
        $n++;
        if ($line =~ /(?<![\w.>:])(?:std::|::)?(v?s?n?printf|v?[fd]printf|puts|fputs|putchar|perror)\s*\(/
            || $line =~ /\bstd::(cout|cerr|clog|cin)\b/
            || $line =~ /^\s*#\s*include\s*<iostream>/) {
            print "$ARGV:$n: $lines[$n - 1]\n";
        }
    }
' "${files[@]}")
if [ -n "$bad" ]; then
    echo "$bad"
    echo "output.sh: print through weft/util/out.hpp (out::print, out::message, out::error ...)" \
         "and format with fmt::format, not printf or iostream" >&2
    exit 1
fi
echo "output.sh: ${#files[@]} files print through fmt and util/out.hpp"
