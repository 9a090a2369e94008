/**
 * The packet-source contract shared by the file readers (pcap, pcapng, stdin) and live capture.
 *
 * A source fills one reused `Frame` per call (gopacket's ZeroCopyReadPacketData): `frame.buf`
 * and the bytes it points at are valid only until the next `next()` call; copy what you keep.
 * Sources never throw on bad capture bytes: problems become `CaptureIssue`s and, where bytes
 * were lost, `dataLost` is set so the CLI can exit 2 with partial results.
 */

import { A, type AnomalyCounters } from '../anomalies';
import type { CaptureInput } from './open-capture';

/** Link-layer header types (tcpdump.org/linktypes.html); pcapng IDBs use the same numbers. */
export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte host-order address family
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_HDLC = 50; // PPP in HDLC-like framing (RFC 1662), or Cisco PPP with HDLC framing
export const LINKTYPE_PPP_ETHER = 51; // a PPPoE session header, no Ethernet header (RFC 2516)
export const LINKTYPE_RAW = 101; // raw IPv4/IPv6 (version nibble decides)
export const LINKTYPE_C_HDLC = 104; // Cisco HDLC: address, control, then an ethertype
export const LINKTYPE_IEEE802_11 = 105; // 802.11 frames without a radio header
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: 4-byte network-order address family
export const LINKTYPE_ENC = 109; // OpenBSD enc(4): address family, SPI, flags, then IP
export const LINKTYPE_PFLOG = 117; // OpenBSD/FreeBSD pf logs: a pfloghdr, then IP
export const LINKTYPE_IEEE802_11_RADIOTAP = 127; // a radiotap header, then an 802.11 frame (monitor mode)
export const LINKTYPE_PPI = 192; // a PPI header, then (usually) an 802.11 frame
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPNET = 226; // Solaris ipnet: a 24-byte header, then IP
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_IEEE802_5 = 6; // IEEE 802.5 Token Ring
export const LINKTYPE_FDDI = 10;
export const LINKTYPE_ATM_RFC1483 = 100; // ATM, LLC/SNAP-encapsulated (RFC 2684)
export const LINKTYPE_FRELAY = 107; // Frame Relay (Q.922 address, RFC 2427 encapsulation)
export const LINKTYPE_IEEE802_11_PRISM = 119; // a Prism monitor header, then an 802.11 frame
export const LINKTYPE_SUNATM = 123; // SunATM: a 4-byte header, then (for LLC circuits) LLC/SNAP
export const LINKTYPE_APPLE_IP_OVER_IEEE1394 = 138;
export const LINKTYPE_IPOIB = 242; // IP over InfiniBand (RFC 4391): two 20-byte hardware addresses, ethertype, reserved
export const LINKTYPE_IEEE802_11_AVS = 163; // an AVS header, then an 802.11 frame
export const LINKTYPE_ARCNET_BSD = 7; // ARCNET as the BSDs capture it: source, destination, system code
export const LINKTYPE_ARCNET_LINUX = 129; // ARCNET as Linux captures it: an offset field before the system code
export const LINKTYPE_PKTAP = 258; // Apple PKTAP: a header naming the interface, process and inner DLT, then that packet
/** LINKTYPE_USER2, which macOS's libpcap writes for its DLT_PKTAP (149 there); tshark and tcpdump read it as PKTAP. */
export const LINKTYPE_USER2_PKTAP = 149;
/**
 * Ethernet frames as a Linux DSA conduit interface hands them over, with the switch's tag
 * (libpcap picks the type from the interface's tagging protocol): Broadcom's 4-byte tag after
 * the MAC addresses, or before the whole frame (PREPEND); Marvell's 4-byte DSA tag after the
 * MACs, or EDSA's 8 bytes (an ethertype, 2 reserved bytes, the DSA tag).
 */
export const LINKTYPE_DSA_TAG_BRCM = 281;
export const LINKTYPE_DSA_TAG_BRCM_PREPEND = 282;
export const LINKTYPE_DSA_TAG_DSA = 284;
export const LINKTYPE_DSA_TAG_EDSA = 285;
/**
 * Linux Classical IP over ATM: an LLC/SNAP header then the packet, or (VC multiplexing) the IPv4
 * packet alone. Files hold DLT_ATM_CLIP's own number 19 (as the Linux ATM tools' libpcap wrote
 * it); libpcap's LINKTYPE_ATM_CLIP is 106. tcpdump and tshark read both.
 */
export const LINKTYPE_LINUX_ATM_CLIP = 19;
export const LINKTYPE_ATM_CLIP = 106;
/**
 * A Juniper router's capture of an Ethernet interface (`monitor traffic` and port mirroring on
 * JUNOS): a "MGC" magic, a flags byte, optional extension TLVs, then the Ethernet frame, or, when
 * the flags say the link header was stripped, a protocol number and the packet.
 */
export const LINKTYPE_JUNIPER_ETHER = 178;
/** DLT_RAW as some platforms number it in classic pcap headers (12 on most BSDs, 14 on OpenBSD). */
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;

/** Largest captured length we accept for one record; larger values are treated as corruption. */
export const MAX_CAPLEN = 256 * 1024;

/** One captured packet, as handed from a source to the decoder. Overwritten on every `next()`. */
export interface Frame {
  /** Buffer holding the packet; the packet is `buf[offset, offset + capturedLength)`. Valid until the next call. */
  buf: Uint8Array;
  offset: number;
  capturedLength: number;
  /** Original length on the wire (>= capturedLength when a snaplen cut the packet). */
  wireLength: number;
  /** Microseconds since the Unix epoch (a double is exact up to 2^53 µs, i.e. year 2255). */
  tsMicros: number;
  /** LINKTYPE_* of the interface the packet came from. */
  linkType: number;
  /** pcapng interface index (0 for classic pcap and live). */
  interfaceId: number;
  /**
   * The process the capture file says the packet belongs to (the effective one when it names
   * one), from Apple's process information blocks in pcapng; null when the file says nothing.
   */
  process: string | null;
}

/**
 * A process name as capture headers carry it (PKTAP's NUL-padded command names, the name option
 * of Apple's pcapng process blocks): the bytes of buf[at, at + maxBytes) up to the first NUL, as
 * text, with bytes outside printable ASCII and `\` written as \DDD; null when empty.
 */
export function processNameText(buf: Uint8Array, at: number, maxBytes: number): string | null {
  let out = '';
  for (let i = at; i < at + maxBytes && buf[i] !== 0; i++) {
    const c = buf[i];
    out += c < 0x20 || c > 0x7e || c === 0x5c ? '\\' + String(c).padStart(3, '0') : String.fromCharCode(c);
  }
  return out === '' ? null : out;
}

/** Creates an empty frame to pass to `PacketSource.next`. */
export function newFrame(): Frame {
  return { buf: new Uint8Array(0), offset: 0, capturedLength: 0, wireLength: 0, tsMicros: 0, linkType: 0, interfaceId: 0, process: null };
}

/** A problem found while reading a capture: one line naming the file and the byte offset. */
export interface CaptureIssue {
  /** Stable code, e.g. EA_CAPTURE_TRUNCATED, EA_CAPTURE_NOT_A_CAPTURE, EA_CAPTURE_CAPLEN. */
  code: string;
  file: string;
  /** Byte offset in the file where the problem starts. */
  offset: number;
  message: string;
  /** True when packets (or the rest of the file) could not be read: the run exits 2. */
  dataLost: boolean;
  /** What the user can do about it, when there is something to say. */
  hint?: string;
}

/** What a source can say about itself for the `inputs` part of the summary. */
export interface InputInfo {
  file: string;
  /** 'pcap' | 'pcapng' | 'live' */
  format: string;
  /** Link-type names in interface order, e.g. ['EN10MB', 'LINUX_SLL2']. */
  linkTypes: string[];
  packets: number;
  bytes: number;
  /** 'us' | 'ns' (pcap) or per-interface resolution description (pcapng). */
  tsResolution?: string;
  byteOrder?: 'little' | 'big';
  /** 'gzip' or 'zstd' when the file was decompressed while read (then `bytes` counts decompressed bytes). */
  compression?: 'gzip' | 'zstd';
  /** For a compressed file: how much of the file itself was read (progress is measured in file bytes). */
  compressedBytes?: number;
}

/** File bytes read so far: what a progress bar over the inputs' file sizes measures. */
export function fileBytesRead(info: InputInfo): number {
  return info.compressedBytes ?? info.bytes;
}

/** A synchronous pull source (files and stdin). Live capture adapts its batches to the same `Frame`. */
export interface PacketSource {
  /** Fills `frame` with the next packet; returns false at the end of input (or after a fatal issue). */
  next(frame: Frame): boolean;
  /** Problems found so far (warnings and errors), in file order. */
  readonly issues: CaptureIssue[];
  /** Summary of what was read so far. */
  info(): InputInfo;
  /** Releases the file descriptor. Safe to call twice. */
  close(): void;
}

/** Link-type names as libpcap spells them (pcap_datalink_val_to_name). */
export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case LINKTYPE_NULL: return 'NULL';
    case LINKTYPE_ETHERNET: return 'EN10MB';
    case LINKTYPE_PPP: return 'PPP';
    case LINKTYPE_PPP_HDLC: return 'PPP_SERIAL';
    case LINKTYPE_PPP_ETHER: return 'PPP_ETHER';
    case LINKTYPE_C_HDLC: return 'C_HDLC';
    case LINKTYPE_ENC: return 'ENC';
    case LINKTYPE_PFLOG: return 'PFLOG';
    case LINKTYPE_IPNET: return 'IPNET';
    case LINKTYPE_IEEE802_11: return 'IEEE802_11';
    case LINKTYPE_IEEE802_11_RADIOTAP: return 'IEEE802_11_RADIO';
    case LINKTYPE_PPI: return 'PPI';
    case DLT_RAW_12: case DLT_RAW_14: case LINKTYPE_RAW: return 'RAW';
    case LINKTYPE_LOOP: return 'LOOP';
    case LINKTYPE_LINUX_SLL: return 'LINUX_SLL';
    case LINKTYPE_IPV4: return 'IPV4';
    case LINKTYPE_IPV6: return 'IPV6';
    case LINKTYPE_NFLOG: return 'NFLOG';
    case LINKTYPE_LINUX_SLL2: return 'LINUX_SLL2';
    case LINKTYPE_IEEE802_5: return 'IEEE802';
    case LINKTYPE_FDDI: return 'FDDI';
    case LINKTYPE_ATM_RFC1483: return 'ATM_RFC1483';
    case LINKTYPE_FRELAY: return 'FRELAY';
    case LINKTYPE_IEEE802_11_PRISM: return 'PRISM_HEADER';
    case LINKTYPE_SUNATM: return 'SUNATM';
    case LINKTYPE_APPLE_IP_OVER_IEEE1394: return 'APPLE_IP_OVER_IEEE1394';
    case LINKTYPE_IPOIB: return 'IPOIB';
    case LINKTYPE_IEEE802_11_AVS: return 'IEEE802_11_RADIO_AVS';
    case LINKTYPE_PKTAP: return 'PKTAP';
    case LINKTYPE_ARCNET_BSD: return 'ARCNET';
    case LINKTYPE_ARCNET_LINUX: return 'ARCNET_LINUX';
    case LINKTYPE_USER2_PKTAP: return 'USER2';
    case LINKTYPE_DSA_TAG_BRCM: return 'DSA_TAG_BRCM';
    case LINKTYPE_DSA_TAG_BRCM_PREPEND: return 'DSA_TAG_BRCM_PREPEND';
    case LINKTYPE_DSA_TAG_DSA: return 'DSA_TAG_DSA';
    case LINKTYPE_DSA_TAG_EDSA: return 'DSA_TAG_EDSA';
    case LINKTYPE_LINUX_ATM_CLIP: case LINKTYPE_ATM_CLIP: return 'ATM_CLIP';
    case LINKTYPE_JUNIPER_ETHER: return 'JUNIPER_ETHER';
    default: return `LINKTYPE_${linkType}`;
  }
}

/**
 * Why a file reader found fewer than `need` bytes where a record or block should be: null for a
 * clean end of file (nothing left), else the issue to report (a failed read, or a file cut
 * inside `unit`, e.g. "record 7", counted as capture.truncated_record).
 */
export function endOfInputIssue(input: CaptureInput, need: number, unit: string, anomalies?: AnomalyCounters): { code: string; message: string } | null {
  const have = input.end - input.pos;
  if (input.ioError !== null) return { code: 'EA_CAPTURE_READ', message: `read failed: ${input.ioError}` };
  if (have === 0) return null;
  anomalies?.add(A['capture.truncated_record']);
  return { code: 'EA_CAPTURE_TRUNCATED', message: `the file ends inside ${unit}: ${have} of ${need} bytes present` };
}
