import formbody from '@fastify/formbody'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import type { ContactDetail, ContactRow } from '../../db/schema.js'
import { discloseToLink } from '../../lib/access-log.js'
import { ProblemError } from '../../lib/problem.js'
import { writeTurn } from '../../lib/write-turn.js'
import { CorrectionPatch } from './campaigns-schemas.js'
import { confirmLink, openLink, ownRecord, proposeCorrection } from './campaigns-service.js'
import { linkRouteConfig } from './verification-routes.js'

/**
 * The page a person reaches from their link, until the console has one: server-rendered HTML with
 * no script and no inline style (the service's CSP forbids both), forms posting back to itself.
 * It calls the same functions as /v1/verification.
 */

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${html(title)} · UNSCR 1540 points of contact</title>
</head>
<body>
<main>
<h1>${html(title)}</h1>
${body}
</main>
</body>
</html>
`
}

const INVALID_PAGE = page(
  'This link does not work',
  '<p>It is unknown, has expired or has already been used. If your entry needs attention, please answer the e-mail you received.</p>',
)

const send = (reply: FastifyReply, status: number, html: string) =>
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html)

const FormFields = z.object({
  givenName: z.string().max(200).optional(),
  familyName: z.string().max(200).optional(),
  positionTitle: z.string().max(300).optional(),
  email: z.string().max(500).optional(),
  phone: z.string().max(500).optional(),
})
type FormFields = z.infer<typeof FormFields>

const field = (name: keyof FormFields, label: string, value: string | null, type = 'text') =>
  `<p><label for="${name}">${html(label)}</label><br><input id="${name}" name="${name}" type="${type}" value="${html(value ?? '')}"></p>`

const detailOf = (contact: ContactRow, type: ContactDetail['type']) =>
  contact.contactDetails.find((d) => d.type === type)?.value ?? null

function recordPage(
  token: string,
  record: ReturnType<typeof ownRecord>,
  contact: ContactRow,
  problems: string[] = [],
) {
  const c = record.contact
  const details = c.contactDetails
    .map((d) => `<li>${html(d.type)}: ${html(d.value)}${d.label ? ` (${html(d.label)})` : ''}</li>`)
    .join('')
  const posts = record.posts
    .map(
      (p) =>
        `<li>${html(p.role)}, ${html(p.organization)}${p.stateCode ? ` (${html(p.stateCode)})` : ''}, since ${html(p.startDate)}</li>`,
    )
    .join('')
  const errors = problems.length
    ? `<div role="alert"><p>The correction was not sent:</p><ul>${problems.map((p) => `<li>${html(p)}</li>`).join('')}</ul></div>`
    : ''
  const action = encodeURIComponent(token)
  return page(
    record.campaign.title,
    `<p>${html(record.campaign.message).replaceAll('\n', '<br>')}</p>
<h2>Your entry</h2>
<p>${html(c.displayName)}${c.positionTitle ? `, ${html(c.positionTitle)}` : ''}</p>
<ul>${details}</ul>
<h2>Your current posts</h2>
<ul>${posts}</ul>
<h2>Is this correct?</h2>
<form method="post" action="${action}/confirm"><button type="submit">Yes, my entry is correct</button></form>
<h2>Something to correct?</h2>
${errors}
<form method="post" action="${action}/corrections">
${field('givenName', 'Given name', contact.givenName)}
${field('familyName', 'Family name', contact.familyName)}
${field('positionTitle', 'Position title', contact.positionTitle)}
${field('email', 'E-mail', detailOf(contact, 'email'), 'email')}
${field('phone', 'Phone (international, e.g. +996 312 123456)', detailOf(contact, 'phone'), 'tel')}
<p><button type="submit">Send my corrections for review</button></p>
</form>
<p>This link is yours alone and works once; it expires at the end of ${html(record.campaign.dueDate)} (UTC).</p>`,
  )
}

/** The form's fields as a merge patch of what differs from the stored entry. */
function patchFrom(form: FormFields, contact: ContactRow): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  for (const name of ['givenName', 'familyName', 'positionTitle'] as const) {
    const given = form[name]?.trim()
    if (given === undefined) continue
    const next = given === '' ? null : given
    if (next !== contact[name]) patch[name] = next
  }
  let details = contact.contactDetails.map((d) => ({ ...d }))
  for (const type of ['email', 'phone'] as const) {
    const given = form[type]?.trim()
    if (given === undefined) continue
    const index = details.findIndex((d) => d.type === type)
    const current = index >= 0 ? details[index] : undefined
    if ((current?.value ?? '') === given) continue
    if (given === '') details = details.filter((_, i) => i !== index)
    else if (current) current.value = given
    else details.push({ type, value: given, label: null, visibility: 'restricted' })
  }
  if (JSON.stringify(details) !== JSON.stringify(contact.contactDetails)) patch.contactDetails = details
  return patch
}

export const verificationPage: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
  // Form posts only here: the API itself stays JSON.
  await app.register(formbody)
  const config = linkRouteConfig
  const schema = { hide: true }
  const tokenOf = (params: unknown) => {
    const token = (params as { token?: unknown }).token
    return typeof token === 'string' && token.length <= 128 ? token : ''
  }

  app.get('/verify/:token', { config, schema }, async (request, reply) => {
    const token = tokenOf(request.params)
    const usable = openLink(db, token)
    if (!usable) return send(reply, 404, INVALID_PAGE)
    discloseToLink(request, usable.campaign.id, usable.contact)
    return send(reply, 200, recordPage(token, ownRecord(db, usable), usable.contact))
  })

  app.post('/verify/:token/confirm', { config, schema }, async (request, reply) => {
    const token = tokenOf(request.params)
    const answer = await writeTurn(db).run(() =>
      db.transaction((tx) => confirmLink(tx, token, request.id), { behavior: 'immediate' }),
    )
    if (!answer) return send(reply, 404, INVALID_PAGE)
    return send(reply, 200, page('Thank you', '<p>Your entry is confirmed. You can close this page.</p>'))
  })

  app.post('/verify/:token/corrections', { config, schema }, async (request, reply) => {
    const token = tokenOf(request.params)
    const usable = openLink(db, token)
    if (!usable) return send(reply, 404, INVALID_PAGE)
    const again = (problems: string[]) =>
      send(reply, 400, recordPage(token, ownRecord(db, usable), usable.contact, problems))
    const form = FormFields.safeParse(request.body ?? {})
    if (!form.success) return again(['The form could not be read; please try again'])
    const parsed = CorrectionPatch.safeParse(patchFrom(form.data, usable.contact))
    if (!parsed.success) return again(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
    let answer: { outcome: 'corrected'; at: string } | undefined
    try {
      answer = await writeTurn(db).run(() =>
        db.transaction((tx) => proposeCorrection(tx, token, parsed.data as Record<string, unknown>), {
          behavior: 'immediate',
        }),
      )
    } catch (err) {
      if (err instanceof ProblemError && err.status === 400) {
        return again(
          err.errors?.length
            ? err.errors.map((e) => ('path' in e ? `${e.path}: ${e.message}` : e.message))
            : [err.message],
        )
      }
      throw err
    }
    if (!answer) return send(reply, 404, INVALID_PAGE)
    return send(
      reply,
      202,
      page(
        'Thank you',
        '<p>Your corrections were sent; the directory team will review them. You can close this page.</p>',
      ),
    )
  })
}
