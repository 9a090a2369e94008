/**
 * The app list the policy reads (src/policy/apps.ts) names every app the engine can put in a
 * flow record: here, the carrier of each UDP tunnel the decoder recognises, so a rule naming one
 * is not reported as a typo by `rules lint` and `learn` proposes it.
 */
import {
  AYIYA_PORT, CAPWAP_DATA_PORT, GENEVE_PORT, GRE_IN_UDP_PORT, GTPU_PORT, L2TP_PORT, LISP_DATA_PORT, MPLS_IN_UDP_PORT, TEREDO_PORT,
  TZSP_PORT, VXLAN_GPE_PORT, VXLAN_PORT, udpTunnelApp,
} from '../../../src/decode/tunnels';
import { ENGINE_APPS, KNOWN_APPS } from '../../../src/policy/apps';

const TUNNEL_PORTS = [
  VXLAN_PORT, GENEVE_PORT, VXLAN_GPE_PORT, GTPU_PORT, TEREDO_PORT, AYIYA_PORT, GRE_IN_UDP_PORT, MPLS_IN_UDP_PORT, CAPWAP_DATA_PORT,
  TZSP_PORT, LISP_DATA_PORT, L2TP_PORT,
];

test.each(TUNNEL_PORTS)('the carrier app of the UDP tunnel on port %d is an engine app', (port) => {
  const app = udpTunnelApp(50000, port);
  expect(app).not.toBe('');
  expect(ENGINE_APPS.has(app)).toBe(true);
  expect(KNOWN_APPS.has(app)).toBe(true);
});

test('each tunnel port names a different app', () => {
  const apps = TUNNEL_PORTS.map((p) => udpTunnelApp(50000, p));
  expect(new Set(apps).size).toBe(TUNNEL_PORTS.length);
});
