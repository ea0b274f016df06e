import type { FastifyBaseLogger } from 'fastify'
import type { CampaignRow, ContactRow } from '../../db/schema.js'
import { lazy } from '../../lib/lazy.js'
import type { IssuedLink } from './campaigns-service.js'

const mailer = lazy<typeof import('nodemailer')>('nodemailer')

/** The text each person receives: the campaign's message, then their own link. */
export function mailText(campaign: CampaignRow, link: IssuedLink): string {
  return [
    campaign.message,
    '',
    'Please confirm or correct your entry in the UNSCR 1540 points-of-contact directory:',
    link.link,
    '',
    `The link is for you alone, works once, and expires at the end of ${campaign.dueDate} (UTC).`,
  ].join('\n')
}

/**
 * Sends each person with an e-mail address their link, one message each, through nodemailer.
 * Failures are answered per person; neither links nor addresses are logged.
 */
export async function sendCampaignMail(
  smtp: { url: string; from: string },
  campaign: CampaignRow,
  issued: { link: IssuedLink; contact: ContactRow }[],
  log: FastifyBaseLogger,
) {
  const ref = (l: IssuedLink) => ({ contactId: l.contactId, name: l.name })
  const sent: { contactId: string; name: string }[] = []
  const failed: { contactId: string; name: string }[] = []
  const withoutEmail = issued.filter((i) => i.link.email === null).map((i) => ref(i.link))
  const toSend = issued.filter((i) => i.link.email !== null)
  if (toSend.length > 0) {
    const transport = mailer().createTransport(smtp.url)
    try {
      for (const { link } of toSend) {
        try {
          await transport.sendMail({
            from: smtp.from,
            to: { name: link.name, address: link.email as string },
            subject: campaign.title,
            text: mailText(campaign, link),
          })
          sent.push(ref(link))
        } catch (err) {
          // The error names the server's answer, never the message body (which holds the link).
          log.warn(
            { campaignId: campaign.id, contactId: link.contactId, code: (err as { code?: string }).code },
            'campaign mail not sent',
          )
          failed.push(ref(link))
        }
      }
    } finally {
      transport.close()
    }
  }
  log.info({ campaignId: campaign.id, sent: sent.length, failed: failed.length }, 'campaign mail sent')
  return { sent, withoutEmail, failed }
}
