#!/usr/bin/python3
"""Rewrite an upstream nebius/api .proto into this repo's options-free form.

    proto-strip.py IN.proto OUT.proto     write the stripped file
    proto-strip.py --imports IN.proto     print the file's imports, one a line

Removes: comments; imports that exist only for options (buf/validate,
nebius/annotations, google/protobuf/descriptor); every `option NAME = ...;`
statement (multi-line aggregate values included) except `option deprecated`;
every entry of `[...]` field/enum-value option lists except `deprecated` and
`packed` (the list goes away when nothing is left). An rpc whose body became
empty is closed with `;`. Everything else is kept byte for byte, so the field
numbers and types are exactly upstream's.

Why a tokenizer and not regexes: option values are aggregates that nest
braces and brackets and contain strings with `;` and `]` in them.
"""
import re
import sys

OPTION_ONLY_IMPORTS = {
    "buf/validate/validate.proto",
    "nebius/annotations.proto",
    "google/protobuf/descriptor.proto",
}
KEPT_OPTIONS = {"deprecated", "packed"}

TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*|[0-9][A-Za-z0-9_.+-]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

DELETED = "\x00"  # marks where text was removed, so emptied lines can be dropped


class ProtoSyntaxError(Exception):
    pass


def tokenize(text):
    tokens = []
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if m is None:
            raise ProtoSyntaxError("cannot tokenize at offset %d" % pos)
        kind = m.lastgroup
        if kind == "block_comment" or kind == "line_comment":
            kind = "comment"
        tokens.append((kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return tokens


def significant(tokens):
    """Indexes of tokens that carry syntax (not whitespace or comments)."""
    return [i for i, t in enumerate(tokens) if t[0] not in ("ws", "comment")]


def skip_balanced(tokens, sig, k, stop):
    """From sig[k], return the sig index of the first `stop` token at nesting depth 0."""
    depth = 0
    while k < len(sig):
        text = tokens[sig[k]][1]
        if text in "{[(" and tokens[sig[k]][0] == "punct":
            depth += 1
        elif text in "}])" and tokens[sig[k]][0] == "punct":
            if depth == 0 and text == stop:
                return k
            depth -= 1
        elif text == stop and depth == 0:
            return k
        k += 1
    raise ProtoSyntaxError("unterminated construct: expected %r" % stop)


def split_option_list(tokens, sig, start, end):
    """Split the option entries between sig[start] ('[') and sig[end] (']')."""
    entries = []
    k = start + 1
    while k < end:
        comma = k
        depth = 0
        while comma < end:
            text = tokens[sig[comma]][1]
            if tokens[sig[comma]][0] == "punct" and text in "{[(":
                depth += 1
            elif tokens[sig[comma]][0] == "punct" and text in "}])":
                depth -= 1
            elif text == "," and depth == 0:
                break
            comma += 1
        entries.append((k, comma))  # sig indexes [k, comma)
        k = comma + 1
    return entries


def option_name(tokens, sig, k, end):
    """Name of the option starting at sig[k]: the tokens before '=' joined."""
    parts = []
    while k < end and tokens[sig[k]][1] != "=":
        parts.append(tokens[sig[k]][1])
        k += 1
    return "".join(parts), k


def strip(text):
    tokens = tokenize(text)
    sig = significant(tokens)
    # Output built from the original text with spans replaced.
    replacements = []  # (start_offset, end_offset, replacement)

    for i, tok in enumerate(tokens):
        if tok[0] == "comment":
            replacements.append((tok[2], tok[3], DELETED))

    k = 0
    while k < len(sig):
        kind, word, start, _ = tokens[sig[k]]
        prev = tokens[sig[k - 1]][1] if k > 0 else ";"
        at_statement_start = prev in ("{", "}", ";")

        if at_statement_start and word == "import":
            semi = skip_balanced(tokens, sig, k, ";")
            path = next((tokens[sig[j]][1][1:-1] for j in range(k, semi)
                         if tokens[sig[j]][0] == "string"), None)
            if path in OPTION_ONLY_IMPORTS:
                replacements.append((start, tokens[sig[semi]][3], DELETED))
            k = semi + 1
            continue

        if at_statement_start and word == "option":
            semi = skip_balanced(tokens, sig, k + 1, ";")
            name, _ = option_name(tokens, sig, k + 1, semi)
            if name != "deprecated":
                replacements.append((start, tokens[sig[semi]][3], DELETED))
            k = semi + 1
            continue

        if kind == "punct" and word == "[":
            close = skip_balanced(tokens, sig, k + 1, "]")
            kept = []
            for a, b in split_option_list(tokens, sig, k, close):
                name, eq = option_name(tokens, sig, a, b)
                if name in KEPT_OPTIONS:
                    value = " ".join(tokens[sig[j]][1] for j in range(eq + 1, b))
                    kept.append("%s = %s" % (name, value))
            # Swallow the whitespace before '[' so `x = 1 [\n...\n];` becomes `x = 1;`.
            span_start = tokens[sig[k - 1]][3] if k > 0 else start
            new = " [%s]" % ", ".join(kept) if kept else ""
            replacements.append((span_start, tokens[sig[close]][3], new))
            k = close + 1
            continue

        k += 1

    out = []
    pos = 0
    for a, b, new in sorted(replacements):
        if a < pos:  # a comment inside a removed span: already gone
            continue
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    result = "".join(out)

    # An rpc whose option body is gone: `returns (X) { }` -> `returns (X);`
    result = re.sub(r"\)\s*\{[\s" + DELETED + r"]*\}", ");", result)

    lines = []
    for line in result.split("\n"):
        if DELETED in line and not line.replace(DELETED, "").strip():
            continue
        lines.append(line.replace(DELETED, "").rstrip())
    # Collapse blank runs, and no blank line right after '{' or before '}'.
    tidy = []
    for line in lines:
        if not line.strip():
            if not tidy or not tidy[-1].strip() or tidy[-1].rstrip().endswith("{"):
                continue
        elif line.strip().startswith("}") and tidy and not tidy[-1].strip():
            tidy.pop()
        tidy.append(line)
    while tidy and not tidy[-1].strip():
        tidy.pop()
    return "\n".join(tidy) + "\n"


def imports(text):
    tokens = tokenize(text)
    sig = significant(tokens)
    found = []
    for k in range(len(sig)):
        if tokens[sig[k]][1] == "import" and (k == 0 or tokens[sig[k - 1]][1] in "{};"):
            j = k + 1
            while j < len(sig) and tokens[sig[j]][0] != "string":
                j += 1
            if j < len(sig):
                found.append(tokens[sig[j]][1][1:-1])
    return found


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "--imports":
            with open(argv[2], encoding="utf-8") as f:
                for path in imports(f.read()):
                    print(path)
            return 0
        if len(argv) == 3:
            with open(argv[1], encoding="utf-8") as f:
                stripped = strip(f.read())
            with open(argv[2], "w", encoding="utf-8") as f:
                f.write(stripped)
            return 0
    except (OSError, ProtoSyntaxError, UnicodeDecodeError) as e:
        source = argv[2] if argv[1] == "--imports" else argv[1]
        print("proto-strip: %s: %s" % (source, e), file=sys.stderr)
        return 1
    print("usage: proto-strip.py IN.proto OUT.proto | proto-strip.py --imports IN.proto",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
