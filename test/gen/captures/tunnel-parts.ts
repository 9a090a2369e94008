/**
 * Pieces the tunnel capture definitions (tunnels.ts, l2tpv3-gue.ts) share: byte helpers, the
 * inner packet framed as Ethernet, and the outer (carrier) flow a tunnel's frames are tallied on.
 *
 * Test tooling only: never uses an address outside the documentation ranges (see common.ts).
 */
import { ETHERTYPE_IPV4, ethernet } from '../packets';
import { CaptureBuilder, Endpoint, FlowScript, Host } from '../scenario';
import { DEVICE_V4, DEVICE_V6 } from './common';

/** The device's addresses in every tunnel capture. */
export const DEVICES = [DEVICE_V4, DEVICE_V6];

export const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [...u16(v >>> 16), ...u16(v & 0xffff)];
export const bytes = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
/** The inner packet as an Ethernet frame between its endpoints' MACs (no FCS: RFC 4719 §4). */
export const innerEthernet = (packet: Uint8Array, src: Host, dst: Host): Uint8Array =>
  ethernet({ src: src.mac, dst: dst.mac, etherType: packet[0] >> 4 === 6 ? 0x86dd : ETHERTYPE_IPV4 }, packet);

/** A tunnel's own UDP 5-tuple, tallied from the frames that carry the device's packets. */
export class OuterFlow extends FlowScript {
  constructor(b: CaptureBuilder, interfaceId: number, client: Endpoint, server: Endpoint) {
    super(b, interfaceId, 'udp', client, server);
  }

  /** Neither end is the device: egress-audit takes the initiator as the device side, as for any such flow. */
  override get direction(): 'egress' { return 'egress'; }

  carry(tsNs: bigint, fromClient: boolean, wireLength: number): void {
    if (fromClient) { this.packetsOut++; this.bytesOut += wireLength; } else { this.packetsIn++; this.bytesIn += wireLength; }
    if (this.firstNs === null || tsNs < this.firstNs) this.firstNs = tsNs;
    if (this.lastNs === null || tsNs > this.lastNs) this.lastNs = tsNs;
  }
}

export const isDeviceHost = (h: Host): boolean => DEVICES.includes(h.ip);
