package main

import (
	"fmt"
	"strings"
)

// Known contacts of the training mailbox; trainingdata/owner.json lists
// the same addresses.
var customerContacts = []string{"Dana Whitfield <dana@harbordental.com>", "Raj Mehta <raj.mehta@cobaltanalytics.io>",
	"Lisa Moreno <lisa@pinecrestpm.com>", "Tom Becker <tbecker@summit-eng.com>", "Aiko Sato <aiko@crescenthotels.com>",
	"Peter Lund <peter.lund@velocouriers.com>", "Maria Gomez <mgomez@willowcare.org>", "Chris Adeyemi <chris@anchorfreight.co>",
	"Nina Hoffmann <nina.hoffmann@helixbio.de>", "Owen Price <owen@zenithfitness.com>", "Julia Park <julia@lumenarch.com>",
	"Ben Carter <ben.carter@redwoodmfg.com>"}
var personalContacts = []string{"Mom <linda.rivera@gmail.com>", "Alex Rivera <alex.rivera@outlook.com>",
	"Jess Tran <jesstran88@gmail.com>", "Carlos <carlos.m@icloud.com>", "Priya <priya.k@yahoo.com>",
	"Dave Miller <dmiller@gmail.com>", "Emma Rivera <emma.rivera@gmail.com>", "Sofia Kurz <sofia.kurz@gmx.de>"}
var colleagues = []string{"Jordan Lee <jordan@brightpath.io>", "Mia Chen <mia@brightpath.io>", "Ops <ops@brightpath.io>",
	"Kim Novak <kim@brightpath.io>"}

// knownGenerated collects generated senders the owner already knows; they
// are written to owner.json with the fixed contacts.
var knownGenerated []string

// heldOutContacts are the held-out set's people the owner already knows
// (the held-out set is hand-written; its owner file is this one).
var heldOutContacts = []string{"pdunn@fairviewschools.org", "leo@fontaine-catering.fr", "amy.cho@brightside-hvac.com",
	"ines.duarte@duarte-arquitetos.pt", "ryan@oakescleaning.com", "lena.vogt@vogt-events.com",
	"m.tanaka@crescenthotels.com", "accounts@harbordental.com"}

func firstOf(from string) string {
	return strings.Fields(from)[0]
}

func customer() msg {
	from := pick(customerContacts)
	if chance(0.2) {
		v := leadSlots()
		from = v["full"] + " <" + personalAddr(v["first"], v["last"], companyDomain(v["company"])) + ">"
	}
	body := pick([]string{
		"Hi Sam,\n\nWe're seeing an error when staff try to log in from the mobile app since this morning. Could your support team take a look?\n\nThanks,\n{n}",
		"Hello,\n\nOur renewal is coming up next month. Can you confirm the invoice will go to accounts@ like last year?\n\nBest,\n{n}",
		"Hi Sam,\n\nQuick question about our account: how do I add two more users to our existing plan?\n\n{n}",
		"Sam,\n\nThe export to CSV is missing the job notes column again. Ticket #{t} was closed but it's still happening.\n\nRegards,\n{n}",
		"Hi,\n\nAttached is the signed order form for the additional site. Let me know if you need anything else from us.\n\nCheers,\n{n}",
		"Hello Sam,\n\nJust wanted to say the new reporting feature has been great for our team. One request: could the weekly summary include overtime?\n\n{n}",
		"Hi Sam,\n\nWe paid invoice {t} last week but it still shows as overdue in the portal. Can you check?\n\nThanks,\n{n}",
		"Hi,\n\nCan we move our quarterly review to Friday? Something came up on Thursday.\n\n{n}",
		"Sam, our admin left the company - please transfer the account owner role to me. Thanks, {n}",
		"Hello,\n\nWe'd like to cancel the add-on for SMS reminders at the end of this billing period.\n\nKind regards,\n{n}",
		"Hi Sam,\n\nFollowing up on our support call yesterday - the sync issue is fixed on our side now. Thanks for the help!\n\n{n}",
	})
	body = strings.NewReplacer("{n}", firstOf(from), "{t}", fmt.Sprint(10000+r.IntN(90000))).Replace(body)
	subj := pick([]string{"Login problem", "Renewal invoice", "Adding users", "CSV export issue", "Signed order form",
		"Feedback on reports", "Invoice shows overdue", "Quarterly review", "Account owner change", "Cancel SMS add-on",
		"Re: Sync issue", "Support request", "Question about our account"})
	return msg{from: from, subject: subj, body: body, msgDomain: strings.TrimSuffix(strings.Split(from, "@")[1], ">")}
}

var pitchOpeners = []string{
	"I noticed {company2} is hiring and thought you might be interested in how we help teams scale.",
	"I came across BrightPath and love what you're building.",
	"We help B2B companies like yours book 30+ qualified meetings a month.",
	"Are you the right person to speak to about your website's SEO?",
	"I'm reaching out because we work with SaaS companies like BrightPath to increase their revenue.",
	"Our platform helps sales teams automate follow-ups and close more deals.",
	"We specialise in offshore software development at a fraction of local rates.",
	"I noticed your website isn't ranking on the first page of Google for your main keywords.",
	"We're a lead generation agency and we can deliver qualified leads for you every week.",
	"I wanted to introduce our bookkeeping service for growing startups.",
	"Many companies like yours are overpaying for cloud hosting - we can cut that by 40%.",
	"We recently helped a company similar to yours grow their pipeline by 3x in 90 days.",
	"I'm {pname} from {pcompany}, we build custom mobile apps for businesses.",
	"Struggling to hire good developers? We have pre-vetted engineers ready to start.",
	"I noticed that your team uses spreadsheets for reporting. Our solution replaces them with live dashboards.",
	"We offer a special discount on office furniture for tech companies this month.",
	"We have a few sponsorship slots left at our industry conference this autumn.",
	"Would BrightPath like to advertise in our trade magazine? Our readers are operations managers.",
	"We have serviced office space available near you from next month.",
	"Your competitors are already using our intent data to find buyers before they search.",
	"Our agency produces explainer videos that double conversion on landing pages.",
	"We're a payments provider and can lower your card processing fees.",
	"I help founders like you prepare for their next funding round.",
	"We run employee wellness programmes that cut sick days by a quarter.",
	"Quick question - who handles IT security at BrightPath?",
	"We translate and localise software for new markets.",
	"Our team writes blog content that ranks - 40 articles a month for a flat fee.",
	"I wanted to introduce {pcompany} - we provide managed IT for growing software companies.",
	"We lease electric vans to service businesses with maintenance included.",
	"Is your team still using paper for expense reports? Our app automates them.",
	"We supply ergonomic furniture to tech companies and can deliver within a week.",
	"My clients typically cut their hiring time in half within one quarter.",
	"We are offering data entry and back office support from $8 per hour.",
	"I'd like to feature BrightPath in our industry newsletter - sponsored slots start at $900.",
	"Your app store reviews mention crashes; our QA team tests every release on real devices.",
	"We'd love to help BrightPath win more enterprise deals with our sales training.",
	"Our compliance platform gets you SOC 2 ready in weeks, not months.",
	"Did you get a chance to look at the proposal I sent last week?",
	"Circling back on my previous note about your marketing.",
	"We can take cold calling off your plate - our SDRs work in your CRM.",
	"Would you be interested in a quote for printing your marketing materials?",
	"Can I send you our catalogue and a price list?",
}
var pitchAsks = []string{
	"Would you be open to a 15 minute call next week?",
	"Do you have 15 minutes on Thursday for a quick chat?",
	"I'd love to show you how it works - are you free for a call?",
	"Can I send you a short case study?",
	"Would it be worth a conversation?",
	"Who would be the best person to talk to about this?",
	"Let me know if you're interested and I'll send over our pricing.",
	"Are you open to exploring this?",
	"Reply 'yes' and I'll set up a free audit of your website.",
	"If this isn't a priority right now, just let me know and I'll stop reaching out.",
	"Happy to send over our pricing - plans start at $49 a month.",
	"I can set you up with a free 14-day trial, no credit card needed.",
	"Can I book a 20 minute demo with you this week?",
	"Want me to send a quote? Most clients see ROI within 60 days.",
	"Our pricing is simple: one flat fee per month. Shall I send details?",
	"I'd be glad to walk you through a quick demo of our platform.",
	"Would you be interested in a free consultation?",
	"Can I send you a short video showing how it works?",
	"Happy to share a free sample so you can see the quality.",
	"Do you have 20 minutes next week? I'll show you the results we got for similar companies.",
	"Who at BrightPath handles purchasing for this?",
	"Let me know a good time and I'll send a calendar invite.",
}

func vendorPitch() msg {
	if chance(0.25) {
		return bulkSpam()
	}
	pf, pl, pn := person()
	pc := pick([]string{"GrowthLoop", "LeadSpark", "RankRise Digital", "CodeBridge Solutions", "CloudSaver", "Pipeline Pros",
		"NovaDev Labs", "ScaleUp Partners", "BrightLeads Agency", "OfficeNest", "DataWave", "Outreachly", "TopRank SEO",
		"TalentForge", "LedgerLight", "AppCrafters"})
	domain := slug(pc) + pick([]string{".com", ".io", ".co", ".agency", ".net"})
	v := map[string]string{"company2": "BrightPath", "pname": pn, "pcompany": pc}
	var b strings.Builder
	b.WriteString(pick([]string{"Hi Sam,", "Hey Sam,", "Hello Sam,", "Hi there,", "Sam,"}) + "\n\n")
	if chance(0.3) {
		b.WriteString(pick([]string{"Just following up on my last email.", "Bumping this to the top of your inbox.",
			"I know you're busy, so I'll keep this short.", "Hope you had a great weekend."}) + " ")
	}
	b.WriteString(fill(pick(pitchOpeners), v) + " ")
	b.WriteString(fill(pick(pitchOpeners), v) + "\n\n")
	b.WriteString(pick(pitchAsks) + "\n\n")
	b.WriteString(pick([]string{"Best,", "Cheers,", "Thanks,", "Regards,"}) + "\n" + pn + "\n" + pick([]string{"Account Executive", "Growth Consultant", "Business Development Manager", "Founder", "Partnerships"}) + ", " + pc)
	if chance(0.5) {
		b.WriteString("\n\nIf you don't want to hear from me again, just reply 'no thanks'.")
	}
	subj := pick([]string{"Quick question, Sam", "BrightPath + {pcompany}", "Idea for BrightPath", "More qualified leads for BrightPath",
		"Your website", "15 minutes?", "Partnership opportunity", "Scaling your dev team", "Cut your cloud bill",
		"Re: quick question", "Following up", "Free SEO audit for brightpath.io", "Sam, worth a chat?"})
	m := msg{from: fromLine(pn, personalAddr(pf, pl, domain)), subject: fill(subj, v), body: b.String(), msgDomain: domain}
	if chance(0.3) {
		m.extra = append(m.extra, "X-Mailer: "+pick([]string{"Outreachly", "Lemlist", "Mailshake", "Reply.io"}))
	}
	if chance(0.25) {
		m.html = htmlOf(m.body)
	}
	return m
}

func newsletter() msg {
	brand := pick([]string{"SaaS Weekly", "The Ops Digest", "Product Hunt Daily", "Morning Brew", "Marketing Insider",
		"TechCrunch", "Smashing Magazine", "Stripe", "Notion", "Figma", "HubSpot Blog", "Sales Hacker", "First Round Review",
		"Zapier", "Canva", "REI", "Uniqlo", "Airbnb", "Coursera", "Harvard Business Review"})
	domain := slug(brand) + ".com"
	sender := pick([]string{"news", "newsletter", "hello", "team", "marketing", "digest", "noreply", "updates", "editors"})
	body := pick([]string{
		"View this email in your browser\n\nThis week: {t1}, {t2}, and what we learned from {t3}.\n\nRead more on our blog.\n\nYou are receiving this because you subscribed. Unsubscribe | Manage preferences",
		"Hi Sam,\n\nOur biggest sale of the year starts now: 30% off everything until Sunday. Free shipping on orders over $50.\n\nShop now\n\nUnsubscribe from marketing emails",
		"Issue #{n}\n\n{t1}\n{t2}\n{t3}\n\nThanks for reading! Forward this to a friend.\n\nUpdate your email preferences or unsubscribe.",
		"Join our free webinar: {t1}. Register now - seats are limited.\n\nCan't make it? Register anyway and we'll send the recording.\n\nTo stop receiving these emails, click here.",
		"New features this month: {t1} and {t2}. Plus, a sneak peek at {t3}.\n\nLearn more\n\nYou're receiving this email because you have an account with us. Opt out.",
		"Your weekly roundup is here.\n\nTop stories:\n- {t1}\n- {t2}\n- {t3}\n\nUnsubscribe",
		"We've updated our pricing. Starting next month the Pro plan includes unlimited projects. Want a walkthrough? Book a live demo with our team or start a free trial.\n\nQuestions? Just reply to this email.\n\nUnsubscribe",
		"Hi Sam,\n\nYour free trial ends in 3 days. Upgrade now to keep your data - plans start at $12 per user per month. Need help choosing? Schedule a call with our sales team.\n\nThe team",
		"Ready to see {t1} in action? Join a live product demo this Thursday and get our pricing guide free.\n\nYou're getting this email because you signed up on our website. Unsubscribe.",
	})
	topics := []string{"pricing pages that convert", "the state of remote work", "AI in customer support", "hiring your first sales rep",
		"a new dashboard experience", "10 tips for better onboarding", "our annual report", "cold email benchmarks",
		"spring collection", "the future of payments", "case study: 3x growth", "templates for every team"}
	body = strings.NewReplacer("{t1}", pick(topics), "{t2}", pick(topics), "{t3}", pick(topics), "{n}", fmt.Sprint(r.IntN(300))).Replace(body)
	subj := pick([]string{brand + ": " + pick(topics), "This week in " + brand, "30% off ends Sunday", "You're invited: free webinar",
		"What's new in " + brand, "Issue #" + fmt.Sprint(r.IntN(300)) + " - " + pick(topics), "Don't miss this", "Your weekly digest"})
	m := msg{from: brand + " <" + sender + "@" + pick([]string{"", "mail.", "email.", "news."}) + domain + ">", subject: subj, body: body, msgDomain: domain}
	m.extra = append(m.extra, fmt.Sprintf("List-Unsubscribe: <https://%s/unsub?u=%x>, <mailto:unsub-%x@%s>", domain, r.Uint32(), r.Uint32(), domain))
	if chance(0.5) {
		m.extra = append(m.extra, "List-Unsubscribe-Post: List-Unsubscribe=One-Click")
	}
	if chance(0.4) {
		m.extra = append(m.extra, "List-Id: "+brand+" <news."+domain+">")
	}
	if chance(0.5) {
		m.extra = append(m.extra, "Precedence: bulk")
	}
	if chance(0.6) {
		m.extra = append(m.extra, pick([]string{"X-Campaign: ", "X-Mailgun-Tag: ", "Feedback-ID: ", "X-SES-Outgoing: "})+fmt.Sprintf("%x", r.Uint32()))
	}
	if chance(0.7) {
		m.html = htmlOf(m.body)
		if chance(0.5) {
			m.body = ""
		}
	}
	if chance(0.2) {
		m.to = "undisclosed-recipients:;"
	}
	return m
}

func notification() msg {
	kinds := []func() msg{
		func() msg {
			return msg{from: "GitHub <notifications@github.com>", subject: fmt.Sprintf("[brightpath/app] %s (#%d)", pick([]string{"Fix login redirect", "Bump dependencies", "Add CSV export"}), r.IntN(900)),
				body:  pick([]string{"@jordan commented on this pull request.", "Build failed for commit 3f2a1c.", "Merged #" + fmt.Sprint(r.IntN(900)) + " into main."}) + "\n\n—\nReply to this email directly, view it on GitHub, or unsubscribe.\nYou are receiving this because you were mentioned.",
				extra: []string{"List-ID: brightpath/app <app.brightpath.github.com>", "List-Unsubscribe: <https://github.com/notifications/unsubscribe>", "Precedence: list"}, msgDomain: "github.com"}
		},
		func() msg {
			return msg{from: pick([]string{"Amazon.com <shipment-tracking@amazon.com>", "UPS <mcinfo@ups.com>", "DHL <noreply@dhl.com>"}),
				subject: pick([]string{"Your package has shipped", "Your order has been delivered", "Shipment update"}),
				body:    fmt.Sprintf("Hello Sam,\n\nYour order #%d-%d has shipped. Tracking number: 1Z%X.\n\nExpected delivery: Thursday.\n\nThis is an automated message, please do not reply.", r.IntN(999), r.IntN(9999999), r.Uint32()), msgDomain: "amazon.com"}
		},
		func() msg {
			svc := pick([]string{"Slack", "Google", "Dropbox", "Zoom", "Microsoft", "Stripe", "Notion", "LinkedIn"})
			return msg{from: svc + " <no-reply@" + slug(svc) + ".com>", subject: pick([]string{"Security alert: new sign-in", "Your verification code", "Reset your password", "Confirm your email address"}),
				body:  fmt.Sprintf("Hi Sam,\n\nWe noticed a new sign-in to your %s account from Chrome on Windows. If this was you, you can ignore this email.\n\nYour verification code is %06d.\n\nThe %s team", svc, r.IntN(999999), svc),
				extra: []string{"Auto-Submitted: auto-generated"}, msgDomain: slug(svc) + ".com"}
		},
		func() msg {
			svc := pick([]string{"Stripe", "Gusto", "AWS", "Google Workspace", "QuickBooks", "Adobe", "Apple"})
			return msg{from: svc + " <" + pick([]string{"receipts", "billing", "invoice", "no-reply"}) + "@" + slug(svc) + ".com>", subject: pick([]string{"Your receipt from " + svc, "Invoice available", "Payment received", "Your subscription has been renewed"}),
				body: fmt.Sprintf("Receipt #%d\n\nAmount paid: $%d.00\nDate paid: March %d, 2025\nPayment method: Visa ending in %04d\n\nIf you have any questions, visit our support site.", r.IntN(99999), 10+r.IntN(900), 1+r.IntN(28), r.IntN(9999)), msgDomain: slug(svc) + ".com"}
		},
		func() msg {
			_, _, n := person()
			return msg{from: "Google Calendar <calendar-notification@google.com>", subject: "Invitation: " + pick([]string{"Team sync", "Quarterly planning", "1:1", "Board prep"}) + " @ Tue 10am",
				body: n + " has invited you to an event.\n\nWhen: Tuesday 10:00 - 10:30\nJoining info: meet.google.com/abc-defg-hij\n\nGoing? Yes - Maybe - No\n\nInvitation from Google Calendar", msgDomain: "google.com"}
		},
		func() msg {
			return msg{from: "Jira <jira@brightpath.atlassian.net>", subject: fmt.Sprintf("[JIRA] (BP-%d) %s", r.IntN(900), pick([]string{"Customer portal crash", "Update pricing page", "Q2 roadmap"})),
				body: "Kim Novak updated an issue\n\nChange By: Kim Novak\nStatus: In Progress\n\nThis message was sent by Atlassian Jira. Manage notifications.", extra: []string{"Auto-Submitted: auto-generated", "Precedence: bulk"}, msgDomain: "atlassian.net"}
		},
		func() msg {
			_, _, n := person()
			svc := pick([]string{"Calendly", "Zoom", "Gong", "Chili Piper", "HubSpot Meetings"})
			return msg{from: svc + " <" + pick([]string{"notifications", "no-reply", "noreply"}) + "@" + slug(svc) + ".com>",
				subject:   pick([]string{"New event: Demo with " + n, "Cloud recording available: Intro call", "Meeting booked: Pricing review with " + n, "Reminder: Demo in 1 hour"}),
				body:      "Hi Sam,\n\n" + pick([]string{"A new event has been scheduled.", "Your recording is ready.", "Your meeting starts soon."}) + "\nEvent: 30 minute demo\nInvitee: " + n + "\n\nThis is an automated notification from " + svc + ". Manage notification settings.",
				msgDomain: slug(svc) + ".com"}
		},
		func() msg {
			svc := pick([]string{"HubSpot", "Salesforce", "Pipedrive", "Intercom"})
			return msg{from: svc + " <noreply@" + slug(svc) + ".com>", subject: pick([]string{"Your daily digest", "3 deals need attention", "Weekly pipeline report", "New lead assigned to you"}),
				body: "Hi Sam,\n\nHere is your summary: 4 deals moved stage, 2 quotes were viewed, 1 trial expires tomorrow. View your dashboard for details.\n\nYou are receiving this because of your notification settings.", msgDomain: slug(svc) + ".com"}
		},
		func() msg {
			_, _, n := person()
			doc := pick([]string{"Order Form - " + pick(companies), "Mutual NDA", "Master Services Agreement", "Renewal 2025", "Statement of Work"})
			svc := pick([]string{"DocuSign <dse@docusign.net>", "PandaDoc <docs@pandadoc.com>", "Adobe Sign <adobesign@adobesign.com>", "HelloSign <noreply@hellosign.com>"})
			return msg{from: svc, subject: pick([]string{"Completed: " + doc, "Please sign: " + doc, n + " viewed " + doc, "Reminder: " + doc + " awaits your signature"}),
				body:      pick([]string{"All parties have completed the envelope \"" + doc + "\". View the completed document.", n + " sent you a document to review and sign.", n + " opened your document 3 times. See document analytics."}) + "\n\nDo not share this email. Powered by " + strings.Fields(svc)[0] + ".",
				msgDomain: "docusign.net"}
		},
		func() msg {
			_, _, n := person()
			svc := pick([]string{"Slack <feedback@slack.com>", "Microsoft Teams <noreply@email.teams.microsoft.com>", "Asana <no-reply@asana.com>", "Trello <do-not-reply@trello.com>", "Google Docs <comments-noreply@docs.google.com>", "Notion <notify@mail.notion.so>"})
			first := strings.Fields(n)[0]
			return msg{from: svc, subject: pick([]string{"[BrightPath] New messages from " + first + " in #deals", first + " mentioned you", n + " commented on \"Q3 pricing\"", "New activity in Sales pipeline", first + " shared \"Requirements.pdf\" with you"}),
				body:      first + ": \"" + pick([]string{"The prospect wants the security questionnaire before the demo - can someone send it?", "Can you review the pricing slide before Thursday?", "Customer asked for a quote for 30 seats, who owns this?", "Moved the demo to 3pm."}) + "\"\n\nReply in the app or open the conversation. You're receiving this because of your notification settings.",
				msgDomain: "slack.com"}
		},
		func() msg {
			return msg{from: "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", subject: "Delivery Status Notification (Failure)",
				body: "Address not found\n\nYour message wasn't delivered to info@oldclient.com because the address couldn't be found.\n\nThe response was: 550 5.1.1 user unknown", extra: []string{"Auto-Submitted: auto-replied"}, msgDomain: "googlemail.com"}
		},
		func() msg {
			_, _, n := person()
			return msg{from: n + " <" + slug(n) + "@" + companyDomain(pick(companies)) + ">", subject: "Automatic reply: " + pick([]string{"Quick idea", "Following up", "Invoice"}),
				body: "Thank you for your email. I am out of the office until Monday with limited access to email. For urgent matters please contact reception.", extra: []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"}}
		},
	}
	m := pick(kinds)()
	if chance(0.4) && m.html == "" {
		m.html = htmlOf(m.body)
	}
	return m
}

func personal() msg {
	from := pick(personalContacts)
	body := pick([]string{
		"Hey! Are we still on for dinner Saturday? I can bring dessert.\n\n{n}",
		"Hi honey, call me when you get a chance. Nothing urgent, just want to hear how the trip went.\n\nLove, {n}",
		"Photos from the weekend are up, check the shared album. The one of the dog is my favourite.",
		"Did you see the game last night?? Unbelievable ending. Drinks Thursday?\n\n{n}",
		"Happy birthday!! Hope you have a great day. Let's celebrate next week.\n\n{n}",
		"Can you pick up the kids on Wednesday? I have a late meeting.\n\nThanks, {n}",
		"Here's that recipe I mentioned. Don't skip the lemon zest!\n\n{n}",
		"We booked the cabin for July - you're in, right? Send me your dates.",
		"Thanks for helping with the move. Couldn't have done it without you. I owe you one.\n\n{n}",
		"Hi Sam, the book club is meeting at my place this month. Bring snacks if you can.\n\n{n}",
	})
	body = strings.ReplaceAll(body, "{n}", firstOf(from))
	subj := pick([]string{"Saturday", "Call me", "Weekend photos", "Last night", "Happy birthday!", "Wednesday pickup",
		"Recipe", "Cabin trip", "Thank you", "Book club", "hey", "Re: plans"})
	return msg{from: from, subject: subj, body: body, msgDomain: "gmail.com"}
}

func other() msg {
	switch r.IntN(5) {
	case 0: // recruiter
		_, _, n := person()
		return msg{from: n + " <" + slug(n) + "@talent" + pick([]string{"hub", "bridge", "scout"}) + ".com>", subject: pick([]string{"Exciting opportunity", "Head of Sales role", "Are you open to new roles?"}),
			body: "Hi Sam,\n\nI'm a recruiter working with a fast-growing fintech that is hiring a Head of Sales. Your background looks like a great fit for the position. The salary range is competitive and the role is remote.\n\nWould you be open to a confidential conversation about this opportunity?\n\nBest,\n" + n}
	case 1: // advance-fee scam
		_, _, n := person()
		return msg{from: n + " <" + slug(n) + "@" + pick([]string{"yahoo.com", "hotmail.com", "mail.com", "outlook.com"}) + ">", subject: pick([]string{"URGENT BUSINESS PROPOSAL", "Confidential proposal", "Dear Friend", "Investment partnership"}),
			body: pick([]string{
				"Dear Friend,\n\nI am " + n + ", a bank manager. I have a business proposal involving the transfer of US$15,500,000 from a dormant account. I need a foreign partner to receive the funds and you will get 30% of the total sum. Please reply with your full name, phone number and bank details.\n\nGod bless.",
				"Good day,\n\nI got your contact during my search for a reliable partner. My late husband left $8.2 million in a security company and I wish to invest it in your country with your assistance. Kindly reply urgently for more details.\n\nMrs " + n,
				"ATTENTION: You have been selected to receive a compensation payment of $2,500,000.00. Contact our claims agent with your personal information to process your payment immediately.",
			})}
	case 2: // internal colleague
		from := pick(colleagues)
		return msg{from: from, subject: pick([]string{"Pipeline review notes", "Lunch?", "Q2 targets", "Deck for Thursday"}),
			body:      pick([]string{"Sam, here are my notes from the pipeline review. Can you update the forecast by Friday?", "Anyone up for lunch at 12:30?", "Attached are the Q2 targets we discussed. Let me know if the numbers look right.", "I've put the deck in the shared drive - please review slides 4-7."}) + "\n\n" + firstOf(from),
			msgDomain: "brightpath.io"}
	case 3: // mailing list discussion
		return listPost()
	case 4: // survey / event / charity
		org := pick([]string{"Chamber of Commerce", "Red Cross", "City Marathon", "Alumni Association"})
		return msg{from: org + " <info@" + slug(org) + ".org>", subject: pick([]string{"We'd love your feedback", "Please support our annual appeal", "Volunteers needed"}),
			body: "Dear Sam,\n\nThank you for being part of our community. Please take two minutes to complete our survey or consider a donation to support our work this year.\n\nWith gratitude,\n" + org}
	}
	panic("unreachable")
}

// bulkSpam is unsolicited mass mail selling to the reader: a pitch, not a lead.
func bulkSpam() msg {
	if chance(0.6) {
		return classicSpam()
	}
	{
		prod := pick([]string{"mortgage rates", "weight loss pills", "replica watches", "printer ink", "online degree", "casino bonus", "stock tips"})
		return msg{from: pick([]string{"Best Deals", "Special Offer", "Customer Service", "Lucky Winner"}) + " <" + fmt.Sprintf("offer%d@%x.biz", r.IntN(999), r.Uint32()) + ">", to: fmt.Sprintf("user%d@%x.com", r.IntN(999), r.Uint32()),
			subject: strings.ToUpper("lowest "+prod+" guaranteed") + pick([]string{"!!!", "", " $$$"}),
			body:    "Dear Homeowner,\n\nAct now to get the lowest " + prod + " available. This is a limited time offer! Click here to claim your FREE quote. 100% satisfaction guaranteed.\n\nTo be removed from our mailing list, reply with REMOVE in the subject.", html: "<html><body><font size=5><b>Lowest " + prod + "!!!</b></font><br><a href=\"http://x.biz\">CLICK HERE</a></body></html>"}
	}
}

// classicSpam covers the long-running genres of mass mail: it talks about
// quotes, rates and "your business", but it sells to the reader.
func classicSpam() msg {
	bodies := []string{
		"Dear Homeowner,\n\nInterest rates are at their lowest point in 40 years! Refinance now and lower your monthly payment. Get a FREE no-obligation quote from our lenders today. Fill out the short form and a loan officer will contact you.\n\nThis is a one-time mailing. To be removed, click here.",
		"Make $5,000 a week working from home! Our proven system has helped thousands of people start their own home business. No experience needed. Reply now for your free information kit.\n\nYou received this email because you are on our opt-in list.",
		"Does your business need more customers? We will send your advertisement to 5 million email addresses for just $299. Guaranteed delivery. Order today and get a second mailing FREE.\n\nTo be removed from future mailings reply with REMOVE.",
		"Professional website design for your business starting at $199. Includes hosting, domain name and search engine submission. Call us toll free today or reply for a free quote.",
		"Accept credit cards for your business! No setup fees, approval in 24 hours, low rates guaranteed. Apply today for a free merchant account quote.",
		"Save up to 70% on life insurance. Compare quotes from top rated companies in minutes. Why pay more? Get your free instant quote now.",
		"Get your FREE sample of our amazing weight loss formula. Lose 30 pounds in 30 days, doctor approved. Order now while supplies last!",
		"Stop paying too much for long distance! Switch today and pay only 3.9 cents per minute. Call now to claim this special offer.",
		"Increase your website traffic by 1000%! We submit your site to 300,000 search engines and directories. Limited time price of $49.95.",
		"Eliminate your debt without bankruptcy! Our counselors can reduce your payments by up to 50%. Free consultation, call today.",
		"Cheap software! Windows, Office and Adobe at 90% off retail prices. Download instantly. Order now.",
		"Your business can get a $50,000 loan in 48 hours. No collateral, bad credit OK. Apply now for a free quote.",
	}
	subj := []string{"Lower your rates today", "Make money from home", "Email advertising works", "Website design special",
		"Merchant account approval", "Free insurance quote", "Lose weight fast", "Save on long distance", "Get more traffic",
		"Debt relief", "Software at 90% off", "Business loan approved", "Your free quote", "Important information for you"}
	i := r.IntN(len(bodies))
	from := fmt.Sprintf("%s <%s%d@%s>", pick([]string{"Customer Service", "Info", "Special Offers", "Sales", "Dept"}),
		pick([]string{"info", "sales", "offers", "support", "admin", "promo"}), r.IntN(9999),
		pick([]string{"hotmail.com", "yahoo.com", "aol.com", fmt.Sprintf("%x.com", r.Uint32()), fmt.Sprintf("%x.net", r.Uint32())}))
	m := msg{from: from, subject: subj[i], body: bodies[i]}
	if chance(0.5) {
		m.subject = strings.ToUpper(m.subject) + pick([]string{"!", "!!", "", " $$$"})
	}
	switch r.IntN(3) {
	case 0:
		m.to = fmt.Sprintf("%s%d@%s", pick([]string{"user", "friend", "info", "webmaster"}), r.IntN(999), pick([]string{"aol.com", "yahoo.com", "example.com"}))
	case 1:
		m.to = "undisclosed-recipients:;"
	}
	if chance(0.5) {
		m.html = "<html><body><center><font size=4>" + strings.ReplaceAll(m.body, "\n\n", "<br><br>") + "</font></center></body></html>"
		if chance(0.6) {
			m.body = ""
		}
	}
	return m
}

// listPost is a message to a discussion list the owner reads.
func listPost() msg {
	_, _, n := person()
	list := pick([]string{"sales-ops", "saas-founders", "local-chamber", "python-users", "linux-admins", "homebrew-club",
		"devops-talk", "photo-society"})
	topic := pick([]string{"Which CRM do you use?", "Meeting next week", "Pricing strategy question", "Best invoicing tool?",
		"kernel upgrade broke my wifi", "Perl regex question", "backup script fails on NFS", "cost of hosting in 2025",
		"anyone tried the new release?", "spam filter recommendations", "quote of the day", "How much do you charge for consulting?"})
	body := pick([]string{
		"I'd second that. We tried a few options last year and ended up building our own reports. Happy to share notes at the next meetup.",
		"Has anyone seen this? After the upgrade the driver doesn't load and dmesg shows a firmware error. Any pointers appreciated.",
		"You need to escape the slash in the pattern, otherwise it ends the match early. Try the x flag to make it readable.",
		"We pay about $40 a month for a small VPS and it handles everything we need. The price went up last year but it's still fine.",
		"I charge a day rate and quote fixed prices only for well defined projects. Works better for everyone in my experience.",
		"The patch is in CVS now, please test and report back to the list. Thanks to everyone who sent logs.",
		"Agreed with the previous poster. The cost of switching was higher than we expected, but worth it.",
	})
	m := msg{from: n + " <" + slug(n) + "@" + companyDomain(pick(companies)) + ">", to: list + "@lists.example.org",
		subject: pick([]string{"Re: ", "", "Re: Re: "}) + "[" + list + "] " + topic,
		body:    body + "\n\n" + n + "\n\n_______________________________________________\n" + list + " mailing list\n" + list + "@lists.example.org\nhttps://lists.example.org/listinfo/" + list}
	if chance(0.7) {
		m.extra = append(m.extra, "List-Id: <"+list+".lists.example.org>")
	}
	if chance(0.7) {
		m.extra = append(m.extra, "Precedence: "+pick([]string{"list", "bulk"}))
	}
	if chance(0.6) {
		m.extra = append(m.extra, "List-Unsubscribe: <https://lists.example.org/options/"+list+">")
	}
	if chance(0.5) {
		m.extra = append(m.extra, "Sender: "+list+"-admin@lists.example.org")
	}
	return m
}
