"""Spoken English for scoring: whole-sentence splitting, tokens, stopwords and fillers.

``split_sentences`` returns verbatim slices of the text: it never cuts inside a sentence
(abbreviations, initials, decimals, "e.g." and a mid-sentence "..." are not boundaries).
Fillers ("um", "you know", "like," ...) are removed only from what is scored, never from
the sentences returned, except that ``strip_leading_filler`` drops a sentence's leading
fillers and discourse markers ("Um, so, we ..." and "Um so we ..." -> "We ...") and
capitalizes what remains.
"""

import re
from functools import lru_cache

_STOPWORDS = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each either else even ever every few for from further
    get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
    it's its itself just let's me more most much must mustn't my myself no nor not now of off
    on once only or other ought our ours ourselves out over own quite rather really same shall
    she she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through
    to too under until up upon us very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's whether which while who who's whom whose why why's will
    with within without won't would wouldn't yes yet you you'd you'll you're you've your yours
    yourself yourselves yeah okay ok oh well like know mean think guess actually basically
    honestly probably maybe kind sort lot lots thing things stuff something anything everything
    pretty bit sure right say said says going go goes went gone want wanted let make made
    one two three four five six seven eight nine ten first second also e.g i.e etc vs via
    many may might still though although however since per across around back way ways
"""
STOPWORDS = frozenset(_STOPWORDS.split())
"""Function and low-content conversational words, ignored when scoring and in key phrases."""

_NUMBER_WORDS = """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred thousand million billion dozen percent half
"""
NUMBER_WORDS = frozenset(_NUMBER_WORDS.split())

FILLERS = frozenset(
    ["um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mhm", "ah", "eh"]
)

_FILLER_RE = re.compile(
    r",?\s*\b(?:u+m+|u+h+|uhm|erm?|hm+|mm+|mhm|ah|eh)\b[,.]?"
    r"|,?\s*\byou know\b,?|,?\s*\bi mean\b,|,\s*like,|^\s*like,",
    re.IGNORECASE,
)
_LEADING_RE = re.compile(
    r"^(?:(?:u+m+|u+h+|uhm|erm?|hm+|mm+|mhm|ah|eh)\b[,.]?\s*"
    r"|(?:so|well|okay|ok|yeah|yes|right|like|oh|and|but|anyway|basically|honestly|you know"
    r"|i mean)\s*[,—–-]+\s*"
    r"|(?:and\s+)?so\s+(?=(?:i|i'm|i've|we|we're|we've|he|she|they|it)\b))+",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’.+#-][A-Za-z0-9]+)*[+#]*")
_WORD_RE = re.compile(r"\S*[A-Za-z0-9]\S*")
_BOUNDARY_RE = re.compile(r"(?:\.{3,}|…|[.!?]+)[\"'”’)\]]*(?=\s)")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
_NEXT_WORD_RE = re.compile(r"\s*[\"'“‘(]*(\S+)")

_NEVER_END_TEXT = (
    "e.g i.e cf viz vs approx incl mr mrs ms dr prof sr jr st mt rev gen col lt sgt capt"
)
_NEVER_END = frozenset(_NEVER_END_TEXT.split())
_ENDS_IF_CAPITAL = frozenset(["etc"])
_ENDS_IF_STARTER_TEXT = "inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec dept univ"
_ENDS_IF_STARTER = frozenset(_ENDS_IF_STARTER_TEXT.split())
_ACRONYM_RE = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_INITIAL_RE = re.compile(r"^[A-Z]$")


def split_sentences(text: str) -> list[str]:
    """Whole sentences of ``text``, verbatim; a line break always ends a sentence.

    A leading list marker ("- ", "1. ") is dropped from a line; a last sentence without
    final punctuation is kept whole.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        line = _BULLET_RE.sub("", line, count=1)
        start = 0
        for match in _BOUNDARY_RE.finditer(line):
            if _is_boundary(line, match):
                sentences.append(line[start : match.end()])
                start = match.end()
        sentences.append(line[start:])
    return [s.strip() for s in sentences if _WORD_RE.search(s)]


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    mark = match.group().rstrip("\"'”’)]")
    follower = _NEXT_WORD_RE.match(line, match.end())
    nxt = follower.group(1) if follower else ""
    capital = nxt[:1].isupper() or nxt[:1].isdigit()
    if mark in ("...", "…") or mark.startswith("...."):
        return capital
    if mark != ".":
        return True
    before = line[: match.start()].rsplit(None, 1)
    word = before[-1].lstrip("\"'“‘(") if before else ""
    lower = word.lower()
    if lower in _NEVER_END or _INITIAL_RE.match(word):
        return False
    if lower in _ENDS_IF_CAPITAL:
        return capital
    if lower in _ENDS_IF_STARTER or _ACRONYM_RE.match(word):
        return nxt[:1].isupper() and nxt.lower().strip(",") in STOPWORDS
    return True


def strip_leading_filler(sentence: str) -> str:
    """The sentence without leading fillers ("Um, so, ..."), first letter capitalized."""
    rest = _LEADING_RE.sub("", sentence).lstrip()
    if not rest or rest == sentence:
        return sentence
    return rest[0].upper() + rest[1:]


def remove_fillers(text: str) -> str:
    """``text`` without fillers and filler phrases, whitespace tidied (for scoring)."""
    cleaned = _FILLER_RE.sub(" ", text)
    cleaned = re.sub(r"\s+([,.!?;:])", r"\1", cleaned)
    return re.sub(r"\s{2,}", " ", cleaned).strip(" ,")


def filler_count(text: str) -> int:
    """How many fillers and filler phrases ``text`` holds."""
    return len(_FILLER_RE.findall(text))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; keeps "c++", "node.js", "3.5", "on-call" and "don't" whole."""
    return [t.lower().replace("’", "'") for t in _TOKEN_RE.findall(text)]


def surface_tokens(text: str) -> list[str]:
    """Word tokens as written (case kept), for displaying key phrases."""
    return [t.replace("’", "'") for t in _TOKEN_RE.findall(text)]


def word_count(text: str) -> int:
    """Whitespace-separated words that hold a letter or digit."""
    return len(_WORD_RE.findall(text))


def is_content(token: str) -> bool:
    """A token worth scoring: not a stopword, filler or bare number."""
    return not (token in STOPWORDS or token in FILLERS or is_number(token))


def is_number(token: str) -> bool:
    """Digits ("3.5", "130") or a number word ("seven", "million")."""
    return _is_digits(token) or token in NUMBER_WORDS


def _is_digits(token: str) -> bool:
    return token.replace(".", "").replace(",", "").isdigit()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem so "migrated", "migrating", "migration" match."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


_SUFFIXES = (
    ("izations", "iz"),
    ("ization", "iz"),
    ("ations", "at"),
    ("ation", "at"),
    ("ments", ""),
    ("ment", ""),
    ("ingly", ""),
    ("ings", ""),
    ("ing", ""),
    ("edly", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("sses", "ss"),
    ("ed", ""),
    ("ly", ""),
    ("es", ""),
    ("ss", "ss"),
    ("us", "us"),
    ("is", "is"),
    ("s", ""),
)
