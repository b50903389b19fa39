"""A built-in background frequency list: how generic a word is in interview talk.

Two tiers of everyday and workplace English (matched by stem, so inflections count).
A word outside both tiers is specific to the session ("Kafka", "triage", "stakeholder")
and keeps its full weight.
"""

from services.worker.summarizer.text import stem

_VERY_COMMON = """
able ago ahead answer ask asked asking away bad best better big call came case certain
change come comes coming day days deal different doing done easy end enough example fact
feel felt find fine found gave give given good great happen happened hard help helped high
idea important interesting job keep kept last later least less life like little long look
looked looking lot low mind minute minutes moment month months move moved need needed new
next nice number old open part people person place point put question questions reason
remember run see seen seems show side small start started starting stay take taken talk
talked talking tell time times today told took tried try trying turn turned use used using
wanted week weeks whole work worked working works world year years yesterday young
interview candidate role company team teams experience job jobs things person everyone
someone somebody anyone great awesome cool fun hour hours morning afternoon night evening
engineer engineers manager managers agree agreed apply believe bring buy carry close closed
consider continue create created cut decide decided describe described explain explained
expect fall fix fixed follow grow hear heard hold include join joined leave left lose lost
meet met offer pay play read receive remain report sell send sent serve sit speak spend
spent stand stop suggest teach understand wait walk watch win write writing wrote measure
measured check share shared saw happy proud excited glad large half whole full free clear
main major simple short strong true various ready recent single special common general
huge quick real similar specific usual usually percent money home room word words line
head face eye form name story family country city state school house book friend game
office door moment reason side kind type level area thing step steps stage piece part
early late big hard easy fast slow quickly honest honestly exactly basically probably
usual normal whole total couple several lot plenty rest top bottom front hand hands
ask asking answer answers mention mentioned rephrase questions thanks thank welcome
"""

_COMMON = """
approach area areas build building built business challenge challenges client clients code
communication company's customer customers decision decisions deliver delivered design
develop developed development engineer engineering engineers feature features feedback
focus goal goals group handle handled impact improve improved issue issues lead leading
learn learned learning level manage managed management manager managers meeting meetings
model owned ownership plan planning problem problems process processes product products
project projects quality release report result results review service services set setup
skill skills software solution solve support system systems task tasks tech technical test
testing tool tools user users value data work-life full-time part-time responsible
responsibility current currently previous previously role roles opportunity background
understand understanding sense situation conversation week-to-week day-to-day hire hired
hiring weekly daily monthly quarter quarterly company-wide senior junior lead staff mid
"""

_VERY_COMMON_STEMS = frozenset(stem(w) for w in _VERY_COMMON.split())
_COMMON_STEMS = frozenset(stem(w) for w in _COMMON.split()) - _VERY_COMMON_STEMS


def specificity(token: str) -> float:
    """How specific a lower-cased token is: 0.2 everyday, 0.5 workplace-generic, else 1."""
    return stem_specificity(stem(token))


def stem_specificity(key: str) -> float:
    """``specificity`` of a token already stemmed."""
    if key in _VERY_COMMON_STEMS:
        return 0.2
    if key in _COMMON_STEMS:
        return 0.5
    return 1.0
