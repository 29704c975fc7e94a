package main

import (
	"fmt"
	"strings"
	"time"
)

var greetings = []string{"Hi Sam,", "Hello,", "Hi there,", "Hello Sam,", "Dear Sam,", "Hi BrightPath team,",
	"Good morning,", "Hey Sam,", "Dear Sir or Madam,", "Hi,", "Good afternoon Sam,", "To whom it may concern,"}

var leadIntros = []string{
	"I'm {role} at {company} and we're looking for a {offer}.",
	"My name is {first} and I run operations at {company}.",
	"I came across your website while searching for a {offer} and wanted to reach out.",
	"{referrer} from {refcompany} recommended you when I asked around for a good {offer}.",
	"We are a {size}-person team at {company} and our current setup with {competitor} is not keeping up.",
	"I found you on LinkedIn and your {offer} looks like a good fit for us.",
	"We're currently evaluating options for a {offer} and your name came up a few times.",
	"I saw your talk at the regional trade show last month and have been meaning to write.",
	"I'm reaching out on behalf of {company}; we're planning to replace {competitor} {time}.",
	"Our team at {company} needs a {offer} and I was told you're the person to talk to.",
	"A colleague forwarded me your case study and it describes our situation almost exactly.",
	"We've outgrown {competitor} and are looking at alternatives.",
	"I'm the {role} for {company} and I've been asked to find a {offer} for our {size} staff.",
	"I read your article on cutting admin time and would like to learn more about what you offer.",
	"We're a {size}-person {industry} business and the scheduling is done on a whiteboard.",
	"Sent from my phone - we run {size} crews and need something better than group texts.",
	"I am writing on behalf of {company} to enquire about your {offer}.",
	"Saw your ad and wanted to ask a few questions before we decide.",
	"We tried the free version last month and the team liked it.",
	"After comparing a few options, BrightPath is at the top of our list.",
	"I'm opening a new {industry} business in the spring and want to set things up properly from day one.",
	"Our ops manager recommended your software after using it at her last job.",
	"Sorry for my English, we are a {industry} company with {size} employees.",
	"Our current system is being discontinued, so we need a replacement {time}.",
}

var leadAsks = []string{
	"Could you send me your pricing for a team of about {size} people?",
	"What would it cost for {size} users, billed annually?",
	"Would it be possible to schedule a demo sometime next week?",
	"Can we set up a call to see if your {offer} fits our needs?",
	"Could you put together a quote for us?",
	"Do you offer a free trial so we can test it with a few people first?",
	"Please let me know your rates and availability.",
	"I'd like to get a price list and an idea of lead times.",
	"Is there a discount for non-profits or multi-year contracts?",
	"Can you walk us through how onboarding works and what it costs?",
	"Would you be able to give us a demo and a rough estimate?",
	"How much would it be for {size} licenses?",
	"Could someone from your sales team get in touch with me?",
	"We'd like to start {time} - is that realistic on your side?",
	"Please send over a proposal if you think you can help.",
	"What are the next steps to get started?",
	"Do you support integration with our accounting system, and what does that add to the price?",
	"Are you able to take on a project of this size {time}?",
	"Can you share a few references from similar customers along with pricing?",
	"I'd love to see it in action before I take it to my director.",
	"Could you tell me more about your enterprise plan?",
	"Could you tell me a bit more about how this would work for us?",
	"Please get in touch when you have a moment.",
	"Is this something you could help with?",
	"Give me a call on my mobile when you can.",
	"What do you need from us to get going?",
	"What's the best way to get a quote for {size} locations?",
	"Ballpark price?",
	"Is your software affordable for a business my size?",
	"Kindly furnish us with a quotation and the available subscription tiers.",
	"If the numbers work I'll sign this week.",
	"Please send the contract and the onboarding schedule.",
	"Do you invoice in EUR, and can we export our data if we leave?",
	"Would you have 30 minutes next week to show me what it can do?",
	"Is there a monthly option so we only pay during the busy season?",
	"Please inform us about the price and whether there is a local language version.",
	"Can u call me tomorrow morning?",
}

var leadDetails = []string{
	"We have {size} staff across three sites and need something everyone can use on their phones.",
	"Our budget has been approved for this quarter, so we can move quickly.",
	"Right now everything lives in {competitor}, which is getting painful.",
	"The main things we need are scheduling, invoicing and a simple customer portal.",
	"We'd need it to be in place {time}.",
	"Procurement will need a formal quote and your security documentation.",
	"I'm putting together a shortlist of three vendors for our leadership meeting.",
	"Ideally we'd start with a pilot for one department and expand from there.",
	"We currently spend far too much time on manual data entry.",
	"Our contract with {competitor} ends {time}.",
	"Data needs to stay in the EU, so please tell me where it is hosted.",
	"I'm the decision maker here, so no need to go through anyone else.",
	"We'd also want training for our team leads.",
	"We order around {size} units a month at the moment.",
	"",
	"",
}

var leadClosings = []string{"Thanks,", "Best regards,", "Thanks in advance,", "Looking forward to hearing from you,",
	"Cheers,", "Kind regards,", "Many thanks,", "Best,", "Regards,", "Thank you,"}

var roles = []string{"the office manager", "head of operations", "the IT lead", "COO", "the practice manager",
	"purchasing manager", "founder", "project manager", "procurement lead", "operations director", "CFO",
	"facilities manager", "the owner"}

func leadSlots() map[string]string {
	first, last, full := person()
	rf, rl, _ := person()
	return map[string]string{
		"first": first, "last": last, "full": full, "company": pick(companies), "offer": pick(offers),
		"size": pick(teamSizes), "time": pick(timeframes), "competitor": pick(competitors), "role": pick(roles),
		"referrer": rf + " " + rl, "refcompany": pick(companies),
		"industry": pick([]string{"plumbing", "cleaning", "landscaping", "dental", "physio", "roofing", "moving", "catering",
			"security", "home care", "HVAC", "electrical", "pool service", "tutoring", "veterinary", "towing"}),
	}
}

func signature(v map[string]string, domain string) string {
	switch r.IntN(4) {
	case 0:
		return v["first"]
	case 1:
		return v["full"] + "\n" + v["company"]
	case 2:
		return v["full"] + "\n" + titleCase(strings.TrimPrefix(v["role"], "the ")) + ", " + v["company"] + "\n" + fmt.Sprintf("+1 (%d) 555-%04d", 200+r.IntN(700), r.IntN(10000))
	default:
		return v["full"] + "\n" + v["company"] + " | www." + domain
	}
}

func leadSubject(v map[string]string) string {
	return fill(pick([]string{
		"Pricing question", "Demo request", "Quote request for {company}", "Inquiry about your {offer}",
		"Interested in your {offer}", "Question about pricing for {size} users", "Looking for a {offer}",
		"Request for proposal - {offer}", "Can we talk?", "{company} - {offer}", "Enquiry", "Quick question",
		"Your {offer}", "Demo?", "Pricing for {company}", "New project inquiry", "Referral from {referrer}",
		"Info request", "Trial and pricing", "Quote needed {time}",
	}), v)
}

func hotLead() msg {
	switch n := r.IntN(20); {
	case n < 9:
		return directInquiry()
	case n < 13:
		return contactForm()
	case n < 17:
		return outreachReply()
	case n < 19:
		return shortInquiry()
	default:
		return rfp()
	}
}

func senderFor(v map[string]string) (addr, domain string) {
	domain = companyDomain(v["company"])
	if chance(0.25) {
		domain = pick(freeMail)
	}
	return personalAddr(v["first"], v["last"], domain), domain
}

func fromLine(name, addr string) string {
	if chance(0.15) {
		return addr
	}
	if strings.Contains(name, " ") && chance(0.3) {
		return `"` + name + `" <` + addr + ">"
	}
	return name + " <" + addr + ">"
}

func directInquiry() msg {
	v := leadSlots()
	addr, domain := senderFor(v)
	// Some inquiries come from people the owner has met or worked with.
	if chance(0.15) {
		knownGenerated = append(knownGenerated, addr)
	}
	var parts []string
	parts = append(parts, pick(greetings), "")
	body := fill(pick(leadIntros), v)
	if d := fill(pick(leadDetails), v); d != "" {
		body += " " + d
	}
	parts = append(parts, body, "")
	ask := fill(pick(leadAsks), v)
	if chance(0.6) {
		ask += " " + fill(pick(leadAsks), v)
	}
	parts = append(parts, ask, "", pick(leadClosings), signature(v, domain))
	m := msg{from: fromLine(v["full"], addr), subject: leadSubject(v), body: strings.Join(parts, "\n"), msgDomain: domain}
	if chance(0.2) {
		m.html = htmlOf(m.body)
	}
	if chance(0.1) {
		_, _, cf := person()
		m.cc = cf + " <" + personalAddr(strings.Fields(cf)[0], strings.Fields(cf)[1], domain) + ">"
	}
	return m
}

func shortInquiry() msg {
	v := leadSlots()
	addr, domain := senderFor(v)
	body := fill(pick([]string{
		"Hi, do you ship to Canada? We'd need about {size} units {time}. What would that cost?",
		"Hello - what's your price for {size} seats? Need to decide {time}.",
		"Are you taking new clients? We need help with {offer} {time}. Please call me back.",
		"Hi Sam, is your {offer} available for a {size}-person company? Send me a quote please.",
		"Quick one: do you have a demo account I could try? Thinking of switching from {competitor}.",
		"Can you give me a ballpark for {offer} for {company}? Thanks.",
		"Please contact me about {offer}. We have budget and want to start {time}.",
	}), v)
	return msg{from: fromLine(v["full"], addr), subject: leadSubject(v), body: body + "\n\n" + v["first"], msgDomain: domain}
}

func rfp() msg {
	v := leadSlots()
	addr, domain := senderFor(v)
	body := fill(pick(greetings)+"\n\n"+pick([]string{
		"{company} is issuing a request for proposal for a {offer}. You are invited to respond.",
		"We are inviting a small number of vendors to submit a proposal for a {offer} for {company}.",
		"Following our internal review, {company} would like to request a formal quotation for a {offer}.",
	})+" "+pick([]string{
		"The deadline for proposals is {time}.",
		"Please include pricing for {size} users and implementation costs.",
		"Scope: roughly {size} users, two offices, rollout {time}.",
	})+"\n\n"+pick([]string{
		"Please confirm whether you intend to respond.",
		"Let me know if you have questions about the requirements.",
		"The requirements document is attached; questions are due within a week.",
	})+"\n\n"+pick(leadClosings)+"\n"+signature(v, domain), v)
	return msg{from: fromLine(v["full"], addr), subject: fill(pick([]string{"RFP: {offer}", "Request for proposal - {company}", "Invitation to quote: {offer}", "Tender for {offer}"}), v), body: body, msgDomain: domain}
}

func contactForm() msg {
	v := leadSlots()
	addr, _ := senderFor(v)
	ask := fill(pick(leadAsks), v)
	detail := fill(pick(leadDetails), v)
	message := strings.TrimSpace(detail + " " + ask)
	var body string
	fields := []string{"Name: " + v["full"], "Email: " + addr, "Company: " + v["company"]}
	if chance(0.5) {
		fields = append(fields, fmt.Sprintf("Phone: +1 555 %03d %04d", r.IntN(1000), r.IntN(10000)))
	}
	switch r.IntN(3) {
	case 0:
		body = "You have a new submission from the contact form on brightpath.io.\n\n" + strings.Join(fields, "\n") + "\nMessage: " + message + "\n\n--\nThis e-mail was sent from a contact form on BrightPath (https://brightpath.io)"
	case 1:
		body = "New form submission\n\nForm: Request a demo\n" + strings.Join(fields, "\n") + "\nHow can we help?\n" + message + "\n\nSubmitted at " + clock.Format("2006-01-02 15:04")
	default:
		body = "Someone filled out your website contact form:\n\n" + strings.Join(fields, "\n") + "\n\n" + message + "\n\nReply to this email to respond to " + v["first"] + "."
	}
	from := pick([]string{"BrightPath Website <wordpress@brightpath.io>", "Webflow <no-reply@webflow.com>",
		"Contact Form <forms@brightpath.io>", "Typeform <notifications@typeform.com>", "Website <noreply@brightpath.io>",
		"HubSpot Forms <noreply@hubspot.com>", "Formspree <noreply@formspree.io>"})
	subject := pick([]string{"New contact form submission", "New submission: Request a demo", "[BrightPath] Contact form: " + v["full"],
		"New form entry from " + v["full"], "Website enquiry", "New inquiry via brightpath.io", "Contact us form - " + v["company"]})
	m := msg{from: from, replyTo: v["full"] + " <" + addr + ">", subject: subject, body: body, msgDomain: "brightpath.io"}
	if strings.Contains(from, "webflow") || strings.Contains(from, "typeform") || strings.Contains(from, "hubspot") {
		m.msgDomain = strings.TrimSuffix(strings.Split(from, "@")[1], ">")
		if chance(0.5) {
			m.extra = append(m.extra, "Auto-Submitted: auto-generated")
		}
	}
	return m
}

var outreachSubjects = []string{"Quick idea for {company}", "Cutting scheduling time at {company}", "{company} + BrightPath",
	"Following up", "Question about your operations", "Saw your expansion news", "Idea for your team", "A thought on {competitor}"}

var outreachReplies = []string{
	"Thanks for reaching out. Timing is actually good - we're reviewing tools {time}. Can you send pricing for {size} people?",
	"Hi Sam, yes, this is relevant for us. Could we do a demo next Tuesday or Wednesday afternoon?",
	"Interesting. We're using {competitor} and it's been frustrating. What would it cost to switch?",
	"Happy to chat. I've looped in our {role2} who would own this. What times work for you?",
	"Sam - thanks for the follow-up. We'd like to see a demo and get a quote for {size} users.",
	"Sounds good. Send me a calendar invite for Thursday and include the pricing sheet if you can.",
	"Yes, we're interested. How long does implementation usually take and what does it cost?",
	"Good timing, our contract with {competitor} ends {time}. Let's talk.",
	"I'm interested, but need to understand pricing first. Can you share a rough number for {size} seats?",
	"Thanks Sam. Could you send more details and a few customer references? We may want to start {time}.",
}

func outreachReply() msg {
	v := leadSlots()
	v["role2"] = pick(roles)
	addr, domain := senderFor(v)
	// The owner wrote to this person first, so the mail client knows them.
	if chance(0.8) {
		knownGenerated = append(knownGenerated, addr)
	}
	subj := "Re: " + fill(pick(outreachSubjects), v)
	reply := fill(pick(outreachReplies), v)
	quote := fill("On "+clock.Add(-72*time.Hour).Format("Mon, Jan 2, 2006")+", Sam Rivera <sam@brightpath.io> wrote:\n> Hi {first},\n>\n> "+pick([]string{
		"I noticed {company} is growing fast and wanted to share how teams like yours cut scheduling time in half.",
		"We help companies like {company} replace {competitor} with a simpler {offer}.",
		"Would a 15 minute call next week be worth it to see if we can help?",
	})+"\n>\n> Best,\n> Sam", v)
	body := reply + "\n\n" + pick([]string{v["first"], v["full"], "Best,\n" + v["first"], "Thanks,\n" + v["full"] + "\n" + v["company"]}) + "\n\n" + quote
	id := fmt.Sprintf("<%x@brightpath.io>", r.Uint64())
	return msg{from: fromLine(v["full"], addr), subject: subj, body: body, inReplyTo: id, msgDomain: domain}
}

// titleCase capitalises the first letter of each word ("head of operations"
// becomes "Head Of Operations", as people write job titles in signatures).
func titleCase(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}
