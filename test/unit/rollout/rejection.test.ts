import { ApiError } from '../../../controllers/kit/client.js';
import { rejectedWriteMessage, shortenMessage } from '../../../controllers/rollout/rejection.js';

const apiError = (status: number, message: string) =>
  new ApiError(status, { message }, 'apply deployments ns/web-v1');

describe('rejectedWriteMessage', () => {
  it('names a write the API server refused as invalid (422) or malformed (400)', () => {
    const invalid = apiError(422, 'metadata.labels: Invalid value: "équipe": a valid label must be ...');
    expect(rejectedWriteMessage(invalid)).toBe(
      'the API server refused a workload write, so the rollout holds until the revision or the plan changes: ' +
        'apply deployments ns/web-v1: 422 Invalid: metadata.labels: Invalid value: "équipe": a valid label must be ...',
    );
    expect(rejectedWriteMessage(apiError(400, 'bad request'))).toContain('400 BadRequest: bad request');
  });

  it('treats content the server cannot decode as refused, even when it answers 500', () => {
    expect(
      rejectedWriteMessage(
        apiError(500, 'failed to convert new object (ns/web-v1; apps/v1, Kind=Deployment) to proper version'),
      ),
    ).toContain('failed to convert new object');
    expect(
      rejectedWriteMessage(
        apiError(500, 'failed to create typed patch object: .spec.replicas: expected numeric'),
      ),
    ).toContain('expected numeric');
  });

  it('leaves failures that may pass to the retrying queue', () => {
    expect(rejectedWriteMessage(apiError(409, 'the object has been modified'))).toBeUndefined();
    expect(rejectedWriteMessage(apiError(500, 'etcdserver: request timed out'))).toBeUndefined();
    expect(rejectedWriteMessage(apiError(503, 'unavailable'))).toBeUndefined();
    expect(rejectedWriteMessage(new Error('socket hang up'))).toBeUndefined();
  });

  it('keeps a long server message to its start and its end', () => {
    const long = `${'x'.repeat(5000)} json: cannot unmarshal number 1000000000000 into int32`;
    const message = rejectedWriteMessage(apiError(422, long)) ?? '';
    expect(message.length).toBe(1024);
    expect(message).toMatch(/^the API server refused a workload write/);
    expect(message.endsWith('cannot unmarshal number 1000000000000 into int32')).toBe(true);
  });
});

describe('shortenMessage', () => {
  it('leaves short messages alone and cuts long ones to the limit', () => {
    expect(shortenMessage('short', 10)).toBe('short');
    const cut = shortenMessage('a'.repeat(50) + 'b'.repeat(50), 20);
    expect(cut).toBe(`aaaaaaaa ... bbbbbbb`);
    expect(cut.length).toBe(20);
  });
});
