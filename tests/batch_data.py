"""Article snippets shared by the batch tests (written for them; no outside source)."""

SAME = "The minister met his Turkish counterpart in Ankara on Monday. They discussed the grain deal.\n"
REF = "Talks between the two delegations resumed in Istanbul on Friday. The mediators were hopeful.\n"
MT = "The talks between both delegations resumed in Istanbul on Friday. Mediators were full of hope.\n"
REF2 = "The central bank raised its key rate to 4.5 percent. Inflation reached 7 percent in May.\n"
MT2 = "The central bank raised its key rate to 5.4 percent. Inflation reached seven percent in May.\n"
