import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'
import { createContact, createOrganization, writer } from '../resources/fixtures.js'

/**
 * The assignments' schemas (src/modules/assignments/assignments-schemas.ts): what the contract
 * says of the assignment operations is what the code declares; text is trimmed and an empty text
 * refused; an end before the start is refused at `endDate` (the same day is allowed); the list
 * query's role is one to 64 characters. A refused request writes nothing.
 */

describe('the assignments in the contract', () => {
  it('their operations and schemas are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      prefix: '/v1/assignments',
      paths: [
        '/v1/assignments',
        '/v1/assignments/{id}',
        '/v1/assignments/{id}/history',
        '/v1/assignments/{id}/handover',
      ],
      schemas: [
        'Assignment',
        'AssignmentCreateInput',
        'AssignmentPatchInput',
        'AssignmentList',
        'HandoverInput',
        'HandoverResult',
      ],
    })
  })
})

describe('assignment input', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let base: Record<string, unknown>
  let h: Record<string, string>
  beforeAll(async () => {
    t = await buildTestApp()
    h = await writer()
    const contact = await createContact(t)
    const org = await createOrganization(t)
    base = { contactId: contact.id, organizationId: org.id, roleId: roleId(t.db, 'technical-poc') }
  })
  afterAll(() => t.close())

  const post = (url: string, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url, headers: h, payload: body })

  async function refused(url: string, body: Record<string, unknown>, errors: unknown[]) {
    const before = snapshot(t.db)
    const res = await post(url, body)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual(errors)
    expect(snapshot(t.db)).toBe(before)
  }

  it('trims text, and refuses text that is empty once trimmed', async () => {
    const res = await post('/v1/assignments', {
      ...base,
      startDate: '2020-01-01',
      endDate: '2020-06-01',
      endReason: '  Rotated  ',
      designationRef: ' NV 12/345 ',
    })
    expect(res.statusCode).toBe(201)
    expect([res.json().endReason, res.json().designationRef]).toEqual(['Rotated', 'NV 12/345'])
    const tooSmall = 'Too small: expected string to have >=1 characters'
    await refused('/v1/assignments', { ...base, startDate: '2020-01-01', endReason: '   ' }, [
      { path: 'endReason', message: tooSmall },
    ])
    await refused('/v1/assignments', { ...base, startDate: '2020-01-01', designationRef: ' ' }, [
      { path: 'designationRef', message: tooSmall },
    ])
  })

  it('an end on the start day is allowed, one day before it is refused at endDate', async () => {
    const res = await post('/v1/assignments', { ...base, startDate: '2021-03-01', endDate: '2021-03-01' })
    expect(res.statusCode).toBe(201)
    await refused('/v1/assignments', { ...base, startDate: '2021-03-01', endDate: '2021-02-28' }, [
      { path: 'endDate', message: 'must not be before startDate' },
    ])
  })

  it('a handover trims its text and refuses empty text', async () => {
    const current = await post('/v1/assignments', { ...base, startDate: '2022-01-01' })
    expect(current.statusCode).toBe(201)
    const successor = await createContact(t)
    const url = `/v1/assignments/${current.json().id}/handover`
    const tooSmall = 'Too small: expected string to have >=1 characters'
    await refused(url, { contactId: successor.id, date: '2024-01-01', endReason: ' ' }, [
      { path: 'endReason', message: tooSmall },
    ])
    await refused(url, { contactId: successor.id, date: '2024-01-01', designationRef: '  ' }, [
      { path: 'designationRef', message: tooSmall },
    ])
    await refused(url, { contactId: successor.id, date: '2024-01-01', startDate: '2024-01-01' }, [
      { path: 'startDate', message: 'is not a known field' },
    ])
    const res = await post(url, {
      contactId: successor.id,
      date: '2024-01-01',
      endReason: ' Retired ',
      designationRef: ' NV 15/101 ',
      designationDate: '2023-12-20',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().ended.endReason).toBe('Retired')
    expect(res.json().started.designationRef).toBe('NV 15/101')
    expect(res.json().started.designationDate).toBe('2023-12-20')
  })

  it('the list query: role of one to 64 characters, known parameters only', async () => {
    const get = (q: string) => t.app.inject({ method: 'GET', url: `/v1/assignments${q}`, headers: h })
    const ok = await get('?role=technical-poc&current=true&limit=1')
    expect(ok.statusCode).toBe(200)
    expect(ok.json().items).toHaveLength(1)
    const at64 = await get(`?role=${'r'.repeat(64)}`)
    expect(at64.json().errors).toEqual([{ path: 'query.role', message: 'no role with this identifier' }])
    const at65 = await get(`?role=${'r'.repeat(65)}`)
    expect(at65.json().errors).toEqual([
      { path: 'query.role', message: 'Too big: expected string to have <=64 characters' },
    ])
    expect((await get('?role=')).json().errors).toEqual([
      { path: 'query.role', message: 'Too small: expected string to have >=1 characters' },
    ])
    expect((await get('?rol=x')).json().errors).toEqual([
      { path: 'query.rol', message: 'is not a known field' },
    ])
  })
})
