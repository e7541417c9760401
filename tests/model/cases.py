"""Hand-written behavioural cases for the meaning model. None of these is in data/ (a test checks)."""

# (message, context, expected label): clear cases a careful reader would agree on.
MEANING_CLEAR = [
    ("I miss you. when can I see you? dinner thursday?", "", "wants_to_hang_out"),
    ("let's do the farmers market sunday morning, missed our walks", "", "wants_to_hang_out"),
    ("bored af rn, come over? nothing on tv", "11pm friday", "bored_or_lonely"),
    ("so lonely in this apartment tonight. u should come keep me company", "", "bored_or_lonely"),
    ("hey stranger, long time no talk 😅", "he ghosted me for two months", "back_from_silence"),
    ("i know i disappeared on you. been thinking about u though", "", "back_from_silence"),
    ("where have you been lately? haven't heard from you in days, miss our chats", "", "hasnt_heard_from_you"),
    ("it's so quiet without your texts", "I've been busy and stopped replying", "hasnt_heard_from_you"),
    ("I'm really sorry about what I said at the party. I miss you", "we argued saturday", "did_something_bad"),
    ("i messed up and i know it. i miss u, let me make it right", "", "did_something_bad"),
    ("please don't give up on us, I feel you pulling away", "I asked him for space", "feels_you_slipping"),
    ("i can't lose you. i'll do anything", "I told him I want to break up", "feels_you_slipping"),
    ("missing you too babe", "I told him I missed him first", "matching_you"),
    ("haha same", "I said I miss him", "matching_you"),
    ("miss your body 😏 come over tonight, nothing serious", "", "wants_something"),
    ("just broke up with her and you're all I think about. miss u", "his girlfriend left him last week",
     "wants_something"),
    ("I want to make this official. I don't want to see anyone else", "", "wants_to_progress"),
    ("come meet my parents next month? I miss you and I'm serious about us", "", "wants_to_progress"),
    ("I miss you more than I probably should admit this early", "we've had four dates", "not_ready_to_say_love"),
    ("i keep thinking about you and i don't know what to do with that", "", "not_ready_to_say_love"),
    ("missed my train, I'll be 20 min late", "", "not_about_missing"),
    ("can you send me the photos from saturday?", "", "not_about_missing"),
]

# (base message, variant): a small change that must not change a clear answer.
INVARIANT = [
    ("yeah i miss you too", "yeah i miss you too 😊"),
    ("bored af rn, come over? nothing on tv", "bored af rn, come ovr? nothing on tv"),
    ("missed my train, I'll be 20 min late", "missed my train, ill be 20 min late!!"),
    ("I want to make this official. I don't want to see anyone else",
     "I want to make this official. I dont want to see anyone else ❤️"),
]

# (message, context, edited message, edited context, label whose probability must rise)
DIRECTIONAL = [
    ("ugh i miss you babe", "", "hey stranger, ugh i miss you babe", "", "back_from_silence"),
    ("ugh i miss you babe", "", "ugh i miss you babe", "he went silent for 3 months", "back_from_silence"),
    ("ugh i miss you babe", "", "ugh i miss you too babe", "", "matching_you"),
    ("ugh i miss you babe", "", "sorry about last night. ugh i miss you babe", "", "did_something_bad"),
    ("ugh i miss you babe", "", "ugh i miss you babe. when are you free this week?", "", "wants_to_hang_out"),
    ("ugh i miss you babe", "", "ugh i miss you babe", "I told him I need space", "feels_you_slipping"),
]

# Coach drafts (her texts to him) with the technique or pitfall a careful reader would name.
COACH_CLEAR = [
    ("yo whats good", "", "generic"),
    ("what are you up to today", "", "generic"),
    ("can you lend me 50 bucks till friday", "", "taking"),
    ("could u pick my mom up from the station tomorrow, I can't", "", "taking"),
    ("you never listen when I talk, it's honestly exhausting", "", "criticizing"),
    ("why are you always late? so disrespectful", "", "criticizing"),
    ("who's the girl commenting hearts on all your pics?", "", "drama"),
    ("guess your friends matter more than me. as usual", "", "drama"),
    ("why aren't you answering me??? please text back", "he's at work", "desperate"),
    ("hello?? are you ignoring me", "he's in a meeting", "desperate"),
    ("hope the concert was amazing tonight 😊", "", "positive_association"),
    ("have the best day at the beach!", "", "positive_association"),
    ("bet you can't beat me at bowling 😜", "", "playful_banter"),
    ("how did the job interview with the architecture firm go?", "", "genuine_interest"),
    ("did your sister like the birthday cake you baked?", "", "genuine_interest"),
    ("that sounds so stressful, I'm really proud of how you handled it", "", "emotional_connection"),
    ("remember our first date at that tiny ramen place? 🍜", "", "ignite_memory"),
    ("you looked so good in that suit last night 😍", "", "make_him_feel_desired"),
]

# Ordinary texts a man might send: none says he misses her. The issue's own examples come first.
EVERYDAY = [
    "I love you", "my phone died sorry", "running 15 late, traffic on the A40", "can u grab oat milk on ur way back",
    "lol did u see what Tom posted", "happy birthday to my favourite person!! 🎂", "meeting ran over, call u in 10",
    "ok cool 👌", "omw 🚗", "who's got the spare key, I'm locked out",
    "sorry to hear about your nan, thinking of your family x",
    "drive safe, text me when u get there", "rent's due friday, I sent my half",
    "missed the bus again, gonna be late for work", "good luck with the exam today, you've got this",
    "did you feed the cat before you left?", "haha that's hilarious", "nighty night xx", "proud of you babe",
    "can you send me that recipe", "my mum says thanks for the flowers", "ugh Monday. coffee machine is broken at work",
    "bought the tickets, £45 each, pay me whenever", "you up for bowling with Sam and Priya on Saturday?",
]

# "Miss you" with nothing that points to a scenario: the honest answer is unsure.
CUELESS = [
    "i miss u", "missing you so much babe", "been thinking about you today", "missing u so much", "miss you loads x",
    "I miss you ❤️", "thinking about u", "miss ya", "missin you today", "i really miss you", "miss u babe 😘",
    "just wanted to say i miss you", "Thinking of you, hope your day's going ok", "miss u sm",
]

# (cue-less message, context, the same with a clear cue added, its context, the scenario it must become)
CUE_ADDED = [
    ("i miss u", "", "i miss u. u up? so bored", "", "bored_or_lonely"),
    ("i miss u", "", "sorry about last night. i miss u", "", "did_something_bad"),
    ("missing you so much babe", "", "missing you so much babe. dinner thursday?", "", "wants_to_hang_out"),
    ("missing you so much babe", "", "missing you too babe", "I told him I missed him first", "matching_you"),
    ("i miss u", "", "i miss u. i want us to be official", "", "wants_to_progress"),
]
