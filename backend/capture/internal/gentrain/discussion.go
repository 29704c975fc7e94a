package main

import "strings"

// Human prose that is not a lead: most of a salesperson's inbox is people
// talking about something other than buying from them. These pools are
// mixed freely so the text model learns that ordinary prose alone is not
// buying intent.
var chatter = []string{
	"I think the problem is in the config file, not the package itself.",
	"Has anyone else seen this after upgrading?",
	"That matches what I saw last week, it went away after a reboot.",
	"I'm not convinced this is the right approach, but I'm happy to be proven wrong.",
	"Thanks for the detailed write-up, it helped a lot.",
	"The article makes a fair point about the economy, though the numbers look cherry-picked.",
	"We should probably move this discussion to the other thread.",
	"I tried the patch and it compiles fine, but the tests still fail on my machine.",
	"Does anyone know if the meeting is still on for Thursday?",
	"My understanding is that the old version will be supported until the end of the year.",
	"I've attached the logs in case they're useful.",
	"It works for me with the default settings.",
	"Could you post the exact error message?",
	"I'll be travelling next week so replies may be slow.",
	"The talk was recorded and the slides are on the website.",
	"Interesting idea. I wonder how it would scale to a larger group.",
	"I disagree with the previous poster; the old behaviour was a bug.",
	"For what it's worth, we had the same issue and solved it by clearing the cache.",
	"Let me know if you want me to review the draft before it goes out.",
	"The weather ruined our plans, so we stayed in and watched films.",
	"I read somewhere that the new model is much quieter than the old one.",
	"Just a heads-up that the server will be down for maintenance on Sunday.",
	"Great photos! Where was the second one taken?",
	"I'm still catching up on email after the holidays.",
	"The documentation is out of date; the flag was renamed two releases ago.",
	"We had a long debate about this at the last club meeting.",
	"You might want to check the permissions on that directory.",
	"Count me in for the hike if the weather holds.",
	"The minutes from last month's meeting are attached.",
	"I wrote a small script to automate this, happy to share it.",
	"Can someone explain why this was changed? It broke my workflow.",
	"I don't have strong feelings either way, whatever the group decides is fine.",
	"Congrats on the new job, well deserved!",
	"The funny thing is that the fix was a single line.",
	"I'll bring the projector and the extension cable.",
	"If you need a hand with the move, just shout.",
	"This is the third time this week the build has broken.",
	"Here is a link to the paper I mentioned during the call.",
	"Does the library support Unicode file names? I couldn't find it in the docs.",
	"We're thinking of switching distributions, any recommendations?",
}

var chatterSubjects = []string{"build failures", "question about the config", "Thursday", "photos", "the article",
	"upgrade problems", "patch for review", "minutes", "hike on Saturday", "docs out of date", "server maintenance",
	"your talk", "unicode filenames", "new release", "catching up", "that script", "club meeting", "moving day"}

func discussion() msg {
	n := 2 + r.IntN(4)
	var s []string
	for i := 0; i < n; i++ {
		s = append(s, pick(chatter))
	}
	body := strings.Join(s, " ")
	if chance(0.5) {
		body = pick([]string{"Hi all,", "Hi Sam,", "Hello,", "Folks,", "Hey,"}) + "\n\n" + body
	}
	_, _, name := person()
	m := msg{from: fromLine(name, personalAddr(strings.Fields(name)[0], strings.Fields(name)[1], pick(append([]string{companyDomain(pick(companies))}, freeMail...)))),
		subject: pick([]string{"", "Re: ", "Re: ", "Fwd: "}) + pick(chatterSubjects), body: body + "\n\n" + strings.Fields(name)[0]}
	switch r.IntN(3) {
	case 0: // list traffic
		list := pick([]string{"linux-users", "photo-society", "city-cyclists", "dev-discuss", "alumni-2012"})
		m.to = list + "@lists.example.org"
		if chance(0.6) {
			m.extra = append(m.extra, "List-Id: <"+list+".lists.example.org>")
		}
		if chance(0.6) {
			m.extra = append(m.extra, "Precedence: list")
		}
	case 1: // a group thread the owner is copied on
		_, _, a := person()
		_, _, b := person()
		m.to = a + " <" + strings.ReplaceAll(strings.ToLower(a), " ", ".") + "@example.org>"
		m.cc = "Sam Rivera <sam@brightpath.io>, " + b + " <" + strings.ReplaceAll(strings.ToLower(b), " ", ".") + "@example.org>"
		m.inReplyTo = "<" + slug(a) + ".thread@example.org>"
	}
	return m
}
