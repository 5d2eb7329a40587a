//! The default channel grouping: a channel from traffic source, medium and referrer
//! medium, for exports that have no channel column (GA4, Segment, Mixpanel,
//! Amplitude, Snowplow). The rules are applied in order; the first that matches wins.
//!
//! | # | channel | rule (case-insensitive) |
//! |---|---|---|
//! | 1 | `direct` | source and medium empty, `(direct)`, `(none)` or `direct` |
//! | 2 | `email` | medium `email`, `e-mail`, `e_mail`, `newsletter`; or source contains `mail`; or referrer medium `email` |
//! | 3 | `sms` | medium `sms` or `text` |
//! | 4 | `affiliate` | medium `affiliate` or `affiliates` |
//! | 5 | `display` | medium `display`, `banner`, `cpm`, `expandable`, `interstitial` |
//! | 6 | `paid_social` | social source (or medium `social`, `social-network`, `social-media`, `sm`) and a paid medium |
//! | 7 | `social` | social source, or a social medium, or referrer medium `social` |
//! | 8 | `paid_search` | paid medium: `cpc`, `ppc`, `paid`, `paidsearch`, `paid_search`, `retargeting`, or starting `cp` |
//! | 9 | `organic_search` | medium `organic`, or a search-engine source, or referrer medium `search` |
//! | 10 | `referral` | medium `referral`, `link`; or referrer medium `unknown` (Snowplow names no source for those); or referrer medium `internal` with a source |
//! | 11 | `other` | anything else |
//!
//! Social sources: facebook, fb, instagram, linkedin, twitter, x, t.co, tiktok, pinterest,
//! reddit, snapchat, youtube. Search engines: google, bing, yahoo, duckduckgo, baidu,
//! yandex, ecosia, naver, ask (a source matches when it equals one of these or contains it
//! as a dot-separated part, e.g. `www.google.com`, `m.facebook.com`).

const SOCIAL: &[&str] = &[
    "facebook",
    "fb",
    "instagram",
    "linkedin",
    "twitter",
    "x",
    "t.co",
    "tiktok",
    "pinterest",
    "reddit",
    "snapchat",
    "youtube",
];
const SEARCH: &[&str] = &["google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "naver", "ask"];

fn names_one_of(source: &str, list: &[&str]) -> bool {
    list.iter().any(|name| source == *name || source.split(['.', '/', ':']).any(|part| part == *name))
}

fn is_paid(medium: &str) -> bool {
    matches!(medium, "cpc" | "ppc" | "paid" | "paidsearch" | "paid_search" | "paid-search" | "retargeting")
        || medium.starts_with("cp")
        || medium.starts_with("paid")
}

/// The channel of a touch from its source, medium and (Snowplow) referrer medium.
pub fn default_channel(source: &str, medium: &str, referrer_medium: &str) -> &'static str {
    let (s, m, r) = (source.trim().to_lowercase(), medium.trim().to_lowercase(), referrer_medium.trim().to_lowercase());
    let blank = |v: &str| matches!(v, "" | "(direct)" | "(none)" | "(not set)" | "direct");
    if blank(&s) && blank(&m) && (r.is_empty() || r == "internal") {
        return "direct";
    }
    if matches!(m.as_str(), "email" | "e-mail" | "e_mail" | "newsletter") || s.contains("mail") || r == "email" {
        return "email";
    }
    if matches!(m.as_str(), "sms" | "text") {
        return "sms";
    }
    if matches!(m.as_str(), "affiliate" | "affiliates") {
        return "affiliate";
    }
    if matches!(m.as_str(), "display" | "banner" | "cpm" | "expandable" | "interstitial") {
        return "display";
    }
    let social = names_one_of(&s, SOCIAL) || matches!(m.as_str(), "social" | "social-network" | "social-media" | "sm");
    if social && is_paid(&m) {
        return "paid_social";
    }
    if social || r == "social" {
        return "social";
    }
    if is_paid(&m) {
        return "paid_search";
    }
    if m == "organic" || names_one_of(&s, SEARCH) || r == "search" {
        return "organic_search";
    }
    if matches!(m.as_str(), "referral" | "link") || r == "unknown" || (!s.is_empty() && r == "internal") {
        return "referral";
    }
    "other"
}

/// Medium words looked for in an Adobe tracking code (the first one found is the medium).
const TRACKING_CODE_MEDIUMS: &[&str] = &[
    "email",
    "newsletter",
    "sms",
    "affiliate",
    "affiliates",
    "display",
    "banner",
    "cpm",
    "cpc",
    "ppc",
    "paid",
    "social",
    "retargeting",
    "organic",
    "referral",
];

/// The channel of an Adobe Analytics data-feed hit, through the default grouping: the tracking
/// code (`post_campaign`) is split at every non-alphanumeric character; its first part that is a
/// medium word (`email`, `cpc`, `display`, `social`, …) is the medium and all its parts, joined
/// with dots, are the source (so `facebook:cpc:retarget` is paid social). The numeric `ref_type`
/// gives the referrer medium: 1 inside the site → `internal`, 2 other web sites → `unknown`,
/// 3 search engines → `search`, 7 email → `email`, 9 social networks → `social`; others (6 typed
/// or bookmarked, 4 hard drive, 5 Usenet, 8 no JavaScript) → none.
pub fn adobe_channel(tracking_code: &str, ref_type: &str) -> &'static str {
    let code = tracking_code.to_lowercase();
    let parts: Vec<&str> = code.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()).collect();
    let medium = parts.iter().find(|p| TRACKING_CODE_MEDIUMS.contains(p)).copied().unwrap_or("");
    let referrer = match ref_type.trim() {
        "1" => "internal",
        "2" => "unknown",
        "3" => "search",
        "7" => "email",
        "9" => "social",
        _ => "",
    };
    default_channel(&parts.join("."), medium, referrer)
}

#[cfg(test)]
mod tests {
    use super::default_channel as ch;

    #[test]
    fn adobe_tracking_codes_and_referrer_types() {
        use super::adobe_channel as a;
        assert_eq!(a("", "6"), "direct", "typed or bookmarked");
        assert_eq!(a("", "1"), "direct", "a page of the site itself");
        assert_eq!(a("", "2"), "referral");
        assert_eq!(a("", "3"), "organic_search");
        assert_eq!(a("", "7"), "email");
        assert_eq!(a("", "9"), "social");
        assert_eq!(a("email:spring_sale", "1"), "email");
        assert_eq!(a("CPC:Google:brand", "3"), "paid_search");
        assert_eq!(a("facebook:cpc:retarget", "9"), "paid_social");
        assert_eq!(a("dsp|display|q2", ""), "display");
        // No medium word: the referrer type decides; nothing at all is "other".
        assert_eq!(a("spring2024", "3"), "organic_search");
        assert_eq!(a("aff_12345", "6"), "other");
    }

    #[test]
    fn each_rule_in_order() {
        assert_eq!(ch("", "", ""), "direct");
        assert_eq!(ch("(direct)", "(none)", ""), "direct");
        assert_eq!(ch("newsletter_may", "email", ""), "email");
        assert_eq!(ch("mailchimp", "", ""), "email");
        assert_eq!(ch("", "", "email"), "email");
        assert_eq!(ch("twilio", "SMS", ""), "sms");
        assert_eq!(ch("partner", "affiliate", ""), "affiliate");
        assert_eq!(ch("google", "display", ""), "display", "display beats the search-engine source");
        assert_eq!(ch("facebook", "cpc", ""), "paid_social");
        assert_eq!(ch("m.facebook.com", "referral", ""), "social");
        assert_eq!(ch("", "", "social"), "social");
        assert_eq!(ch("google", "cpc", ""), "paid_search");
        assert_eq!(ch("bing", "paid", ""), "paid_search");
        assert_eq!(ch("google", "organic", ""), "organic_search");
        assert_eq!(ch("www.google.com", "", ""), "organic_search");
        assert_eq!(ch("", "", "search"), "organic_search");
        assert_eq!(ch("blog.example.com", "referral", ""), "referral");
        assert_eq!(ch("news.example.com", "", "unknown"), "referral");
        // Snowplow's referer parser names a source only for referrers it recognises.
        assert_eq!(ch("", "", "unknown"), "referral");
        assert_eq!(ch("partner", "podcast", ""), "other");
        // "x" is social only as a whole name or a dot-separated part, not inside a word.
        assert_eq!(ch("example", "", ""), "other");
    }
}
