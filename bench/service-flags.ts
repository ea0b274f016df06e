/**
 * The node flags the Docker image runs the service with (Dockerfile CMD, `npm start`): 8 MB
 * semi-spaces, and a 512 MB old generation, which also makes V8 grow the heap by at most about
 * 1.4× between full collections instead of up to 4× (its factor scales with the limit): peak
 * RSS under load follows garbage awaiting collection, not live data (bench/README.md).
 */
export const SERVICE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=512']
