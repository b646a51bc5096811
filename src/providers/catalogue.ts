/**
 * The bundled provider catalogue (spec §12: 13 OAuth2 + 31 API-key providers). Each definition
 * is a static JSON import so that `deno compile` embeds it and the program never reads its own
 * source tree at run time. Adding a provider: add the JSON file and one import line here.
 *
 * @module
 */
import ahrefs from "./bundled/ahrefs.json" with { type: "json" };
import apollo from "./bundled/apollo.json" with { type: "json" };
import ashby from "./bundled/ashby.json" with { type: "json" };
import atlassian from "./bundled/atlassian.json" with { type: "json" };
import beehiiv from "./bundled/beehiiv.json" with { type: "json" };
import brevo from "./bundled/brevo.json" with { type: "json" };
import buffer from "./bundled/buffer.json" with { type: "json" };
import calendly from "./bundled/calendly.json" with { type: "json" };
import clearbit from "./bundled/clearbit.json" with { type: "json" };
import discord from "./bundled/discord.json" with { type: "json" };
import dub from "./bundled/dub.json" with { type: "json" };
import g2 from "./bundled/g2.json" with { type: "json" };
import github from "./bundled/github.json" with { type: "json" };
import gitlab from "./bundled/gitlab.json" with { type: "json" };
import google from "./bundled/google.json" with { type: "json" };
import hubspot from "./bundled/hubspot.json" with { type: "json" };
import hunter from "./bundled/hunter.json" with { type: "json" };
import instantly from "./bundled/instantly.json" with { type: "json" };
import intercom from "./bundled/intercom.json" with { type: "json" };
import keywordsEverywhere from "./bundled/keywords-everywhere.json" with { type: "json" };
import klaviyoOauth from "./bundled/klaviyo-oauth.json" with { type: "json" };
import klaviyo from "./bundled/klaviyo.json" with { type: "json" };
import lemlist from "./bundled/lemlist.json" with { type: "json" };
import linear from "./bundled/linear.json" with { type: "json" };
import livestorm from "./bundled/livestorm.json" with { type: "json" };
import mailchimp from "./bundled/mailchimp.json" with { type: "json" };
import mentionMe from "./bundled/mention-me.json" with { type: "json" };
import microsoft from "./bundled/microsoft.json" with { type: "json" };
import notion from "./bundled/notion.json" with { type: "json" };
import openai from "./bundled/openai.json" with { type: "json" };
import optimizely from "./bundled/optimizely.json" with { type: "json" };
import postiz from "./bundled/postiz.json" with { type: "json" };
import postmark from "./bundled/postmark.json" with { type: "json" };
import resend from "./bundled/resend.json" with { type: "json" };
import rewardful from "./bundled/rewardful.json" with { type: "json" };
import savvycal from "./bundled/savvycal.json" with { type: "json" };
import semrush from "./bundled/semrush.json" with { type: "json" };
import sendgrid from "./bundled/sendgrid.json" with { type: "json" };
import slack from "./bundled/slack.json" with { type: "json" };
import tolt from "./bundled/tolt.json" with { type: "json" };
import typeform from "./bundled/typeform.json" with { type: "json" };
import wistia from "./bundled/wistia.json" with { type: "json" };
import x from "./bundled/x.json" with { type: "json" };
import zapier from "./bundled/zapier.json" with { type: "json" };

/** Every bundled definition as parsed JSON, not yet validated (the registry validates them). */
export const BUNDLED_PROVIDERS: readonly unknown[] = [
  ahrefs,
  apollo,
  ashby,
  atlassian,
  beehiiv,
  brevo,
  buffer,
  calendly,
  clearbit,
  discord,
  dub,
  g2,
  github,
  gitlab,
  google,
  hubspot,
  hunter,
  instantly,
  intercom,
  keywordsEverywhere,
  klaviyoOauth,
  klaviyo,
  lemlist,
  linear,
  livestorm,
  mailchimp,
  mentionMe,
  microsoft,
  notion,
  openai,
  optimizely,
  postiz,
  postmark,
  resend,
  rewardful,
  savvycal,
  semrush,
  sendgrid,
  slack,
  tolt,
  typeform,
  wistia,
  x,
  zapier,
];
