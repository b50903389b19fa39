"""Cue lexicons: the words by which people state each kind of fact, and the questions
that ask for it. Matched case-insensitively on whole words."""

import re

from contracts.summary import FactKind


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


ROLE_HEADS = (
    r"engineer|developer|scientist|nurse|manager|lead|director|designer|analyst|teacher|"
    r"consultant|architect|administrator|accountant|executive|officer|specialist|coordinator|"
    r"technician|researcher|head of \w+|founder|intern|associate|partner|pharmacist|physician|"
    r"doctor|therapist|chef|mechanic|electrician|driver|supervisor|representative|rep|"
    r"recruiter|owner|assistant|paralegal|lawyer|attorney|economist|programmer|tester|"
    r"controller|planner|buyer|agent|editor|writer|journalist|producer|marketer|strategist|"
    r"vp|cto|ceo|cfo|coo|principal|instructor|lecturer|professor|tutor|student|graduate|"
    r"trainee|apprentice|operator|inspector|surveyor|foreman|clerk|cashier|midwife|"
    r"paramedic|dentist|veterinarian|vet|pilot|auditor|underwriter|actuary|biologist|"
    r"chemist|statistician|postdoc|fellow|captain|sergeant|carer|caregiver|counsellor|"
    r"counselor|advisor|adviser|contractor|freelancer|sre|pm|owner|secretary|receptionist|"
    r"librarian|curator|scheduler|dispatcher|estimator|welder|plumber|carpenter|machinist"
)
_COUNTS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty\S*|thirty\S*|"
    r"forty\S*|fifty\S*|sixty\S*|seventy\S*|eighty\S*|ninety\S*|a dozen|a hundred"
)
HEAD_RE = re.compile(r"\b(?:" + ROLE_HEADS + r")s?\b", re.IGNORECASE)
ROLE_TITLE = (
    r"(?:i'm|i am|i was|i've been|i have been|i work(?:ed)? as|working as|i'm working as|"
    r"my (?:current )?(?:title|role|position|job) (?:is|was)|i'm currently|i currently work as)"
    r"\s+(?:currently\s+|now\s+|still\s+)?(?:(?:an|a|the)\s+)?"
    r"(?P<title>(?:[\w-]+ ){0,3}?(?:" + ROLE_HEADS + r")s?(?: of (?:a |the )?[\w-]+)?)"
)
TITLE_RE = re.compile(r"\b" + ROLE_TITLE + r"\b", re.IGNORECASE)

STATEMENT_CUES: dict[FactKind, re.Pattern[str]] = {
    FactKind.ROLE: _words(
        ROLE_TITLE,
        r"(?:i|i've|i have) (?:lead|led|manage|managed|run|ran|supervise|supervised|oversee|"
        r"oversaw)\s+(?:a|the|our)?\s*(?:team|group|squad|unit|department|ward|crew|staff)"
        r"(?:\s+of\s+\w+)?",
        r"(?:tech|team|technical) lead of \w+",
        r"(?:crew|team|staff|group|squad|department|unit|roster) (?:is|was|of) (?:about |around )?"
        r"(?:\d+|" + _COUNTS + r")",
        r"(?:direct|reporting) reports?",
        r"(?:there are|team of|manage|managing|lead|leading|supervise|oversee|have|of) (?:about |"
        r"around |all )?(?:\d+|" + _COUNTS + r") (?:\w+ )?(?:scientists|engineers|nurses|people|"
        r"reports|staff|analysts|associates|agents|developers|designers|cooks|teachers|drivers|"
        r"accountants)",
        r"(?:people|reports|staff|nurses|engineers|scientists|associates|agents) (?:report(?:ing)?"
        r" to (?:me|you)|on (?:the|my|your) (?:unit|team|floor|shift))",
        r"you(?:'d| would| will) (?:have|manage|lead|run|oversee)",
        r"\d+-bed|\w+-bed (?:unit|ward)",
    ),
    FactKind.EXPERIENCE: _words(
        r"years? (?:of|in|as|at|doing|working|with|on|experience|now)",
        r"(?:for|over|nearly|almost|about|around|than) (?:\S+ )?(?:\S+ )?years?",
        r"experience",
        r"since (?:19|20)\d\d",
        r"(?:my )?career",
    ),
    FactKind.ACHIEVEMENT: _words(
        r"cut|cuts|reduced?|reducing|increased?|grew|grown|growing|improved?|doubled|tripled|"
        r"halved|saved|saving|raised|boosted|lowered|dropped|fell|falls?|went (?:from|down|up)|"
        r"down (?:by|to|from)|up (?:by|to|from)|from \S+ (?:\S+ )?to|exceeded|beat|hit|achieved|"
        r"delivered|closed|won|launched|shipped|built|scaled|eliminated|shortened|sped|faster|"
        r"slower|fewer|less|more than|percent|quota|revenue|record|award|promoted|biggest|"
        r"proudest|proud|result|results|impact|when i (?:started|arrived|arrive|joined|took over|"
        r"came in)|after (?:that|about|a year|six months)|by the end|at the end|came in at|"
        r"went to|now (?:we|it|they)|hired|recruited|trained|onboarded|mentored|grew the team",
    ),
    FactKind.MOTIVATION: _words(
        r"i want(?: to)?|i'd (?:like|love)|i would (?:like|love)|i'm looking (?:for|to)|"
        r"looking for|i'm (?:really )?(?:drawn|excited|interested|keen)|what (?:excites|draws|"
        r"attracts|appeals)|next step|grow(?:th)? (?:into|as)|the reason i applied|why i applied|"
        r"i applied|attracted|appeals to me|i'm hoping|i hope to|my goal|ready for|"
        r"(?:i'd|i would) (?:much |really )?(?:rather|prefer)|i miss|closer to|"
        r"somewhere (?:where|that)",
    ),
    FactKind.REASON_FOR_LEAVING: _words(
        r"leav(?:e|ing)|left|moving on|laid off|lay-?offs?|redundan\w*|restructur\w*|"
        r"no room (?:to|for)|ceiling|burn(?:ed|t)? ?out|plateau\w*|acquired|acquisition|"
        r"shut(?:ting)? down|closing|contract (?:ends|ended|is ending)|reorg\w*|"
        r"why i'm looking|reason i'm looking|reason (?:i'm|i am) (?:leaving|moving)|"
        r"time for a change|stuck|frustrat\w*|no longer|bought|sold|merg\w*|taken over|"
        r"takeover|outsourc\w*|being (?:moved|folded|merged|cut|closed|consolidated|replaced)|"
        r"consolidat\w*|cut in half|capped",
    ),
    FactKind.LOCATION: _words(
        r"relocat\w*|(?:move|moving|moved) (?:back )?to (?-i:[A-Z])\w*|based (?:in|out of)|"
        r"(?:live|living|located) in (?-i:[A-Z])\w*|commut\w*|move (?:my family|back)|"
        r"willing to move|open to moving|stay in (?-i:[A-Z])\w*",
    ),
    FactKind.NOTICE: _words(r"notice", r"garden leave", r"(?:can|could) (?:leave|hand in)"),
    FactKind.AUTHORIZATION: _words(
        r"visa|visas|sponsor\w*|work permit|permit|citizen\w*|green card|right to work|"
        r"authori[sz](?:ed|ation) to work|permanent resident\w*|residency|h-?1b|blue card|"
        r"settled status|work authori[sz]ation|eligible to work|need sponsorship",
    ),
    FactKind.COMPENSATION: _words(
        r"salary|salaries|compensation|band|bonus|equity|(?:relocation|compensation|total) package|"
        r"ote|on-target|base pay|"
        r"base salary|per (?:hour|annum)|an hour|hourly|pay (?:range|cut|rise)|"
        r"salary expectations?|(?:my|our) expectations? (?:is|are|would be)|"
        r"(?:looking|asking) for (?:around |about )?(?:\$|€|£)|(?:range|band) (?:is|of)|"
        r"(?:\d+k?|\w+ty|\w+teen|hundred|thousand|grand) base",
    ),
    FactKind.AVAILABILITY: _words(
        r"start (?:on|in|date|from|by|right away|immediately)|available (?:from|to start|in|on|"
        r"immediately)|can start|could start|earliest|part-?time|full-?time|hours a week|"
        r"days a week|school (?:hours|run)|childcare|availability|free from|starting date|"
        r"(?:can't|cannot|can not|won't|don't) (?:work|do) (?:\w+ )?"
        r"(?:weekends|nights|evenings|shifts)",
    ),
    FactKind.REMOTE: _words(
        r"remote\w*|hybrid|on-?site|in the office|in-office|work(?:ing)? from home|wfh|"
        r"distributed|days (?:a|per) week in|in person|commute",
    ),
    FactKind.STATEMENT: _words(
        r"never|always|only (?:one|person|time)|the first|zero|every single|no one else|"
        r"nobody else|refuse\w*|won't|will not|non-?negotiable|deal-?breaker|honestly|"
        r"to be honest|the truth is|upfront|i should mention|i have to say|frankly|"
        r"fired|let go|mistake|failed|failure|regret|gap|conviction|disability|health|"
        r"i believe|i think the most|i'm proud|proudest|biggest|hardest|worst|best thing|"
        r"i'll (?:just )?say (?:it|this)|old school|period|i don't care|i do not|i think most|"
        r"in my (?:opinion|view|experience)|i strongly|i insist|i push back|my rule",
    ),
}

LEAVING_EVENTS = _words(
    r"acquired|bought|taken over|laid off|lay-?offs?|redundan\w*|restructur\w*|reorg\w*|"
    r"outsourc\w*|shut(?:ting)? down|closing|being (?:moved|folded|merged|cut|closed|"
    r"consolidated|replaced)|consolidat\w*|cut in half"
)
"""Events at the employer that say why someone leaves without their saying "I"."""

QUESTION_CUES: dict[FactKind, re.Pattern[str]] = {
    FactKind.ROLE: _words(
        r"current (?:role|job|position|title)|tell me about yourself|introduce yourself|"
        r"where are you (?:today|now)|what do you do|your (?:role|title|background)|"
        r"walk me through"
    ),
    FactKind.EXPERIENCE: _words(
        r"how long|how many years|experience|background|current (?:role|job|position)|"
        r"tell me about yourself|walk me through"
    ),
    FactKind.ACHIEVEMENT: _words(
        r"proud\w*|achievement|accomplish\w*|impact|result|measure\w*|example|biggest|"
        r"success\w*|numbers?|outcome"
    ),
    FactKind.MOTIVATION: _words(
        r"why (?:this|us|our|the) |what are you looking for|what do you want|looking for next|"
        r"what attracted|why did you apply|what interests|motivat\w*|next step|ideal"
    ),
    FactKind.REASON_FOR_LEAVING: _words(
        r"why (?:are you|do you want to|would you) (?:leav|look|mov)\w*|why now|why leave|"
        r"reason for leaving|looking to move|why (?:are you )?looking"
    ),
    FactKind.LOCATION: _words(r"where are you based|relocat\w*|location|commute|live"),
    FactKind.NOTICE: _words(r"notice"),
    FactKind.AUTHORIZATION: _words(
        r"visa|sponsor\w*|authori[sz]\w*|permit|right to work|certif\w*|licen[cs]\w*|"
        r"citizen\w*|green card|eligible"
    ),
    FactKind.COMPENSATION: _words(r"salary|compensation|expectations|pay|band|package"),
    FactKind.AVAILABILITY: _words(
        r"when (?:could|can|would) you start|start date|availability|available|hours"
    ),
    FactKind.REMOTE: _words(r"remote|hybrid|office|on-?site|from home"),
}

SENIORITY = _words(
    r"senior|junior|lead|principal|staff|head|chief|mid-level|associate|entry-level|"
    r"graduate|intern|vp|director"
)
