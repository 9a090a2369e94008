/**
 * IEEE 802.11 link layers: bare 802.11 frames (LINKTYPE_IEEE802_11), frames behind a radiotap
 * header (LINKTYPE_IEEE802_11_RADIOTAP, what monitor mode captures) and behind a PPI header
 * (LINKTYPE_PPI, Kismet and AirPcap), a Prism header (linux-wlan-ng) or an AVS header. Only unprotected data frames carry a packet we can read:
 * the MAC header is skipped (4 addresses, QoS and HT control when present, radiotap's data
 * padding), then the LLC/SNAP header names the ethertype. Management and control frames,
 * null-data frames, protected (encrypted) frames and A-MSDU aggregates are not IP.
 *
 * Per packet: allocation-free, never throws on packet bytes; the radiotap bitmap walk is
 * bounded. This module must never look past the network-layer header start.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be, u16le, u32be, u32le } from './bytes';
import { ETHERTYPE_NONE, LayerCursor, NEXT_LAYER } from './layer-cursor';
import { decodeLlcSnap } from './llc';
import { DecodeStatus } from './packet-view';

const LINK_TRUNCATED = A['link.truncated'];
const WIFI_MALFORMED = A['link.wifi_malformed'];

/** Most radiotap presence words walked (each extends the bitmap by 32 fields; real headers use 1–3). */
export const MAX_RADIOTAP_PRESENT_WORDS = 8;
const RADIOTAP_MIN_LENGTH = 8;
const RADIOTAP_PRESENT_EXT = 0x80000000;
const RADIOTAP_TSFT = 0x1;
const RADIOTAP_FLAGS = 0x2;
/** Radiotap Flags field bits: the frame ends with a 4-byte FCS; the 802.11 header is padded to 4 bytes. */
const RADIOTAP_F_FCS = 0x10;
const RADIOTAP_F_DATAPAD = 0x20;
/** PPI (Per-Packet Information): version, flags, header length (LE), the DLT of what follows (LE). */
const PPI_HEADER_LENGTH = 8;
const DLT_IEEE802_11 = 105;
const FCS_LENGTH = 4;

/** 802.11 MAC header (IEEE 802.11-2020 §9.2.3): frame control, duration, three addresses, sequence control. */
const WIFI_HEADER_LENGTH = 24;
const WIFI_TYPE_DATA = 2;
const WIFI_FC1_TO_FROM_DS = 0x03; // both set: a fourth address follows
const WIFI_FC1_PROTECTED = 0x40;
const WIFI_FC1_ORDER = 0x80; // with QoS: a 4-byte HT Control field
const WIFI_SUBTYPE_QOS = 0x8;
const WIFI_SUBTYPE_NO_DATA = 0x4;
const WIFI_QOS_AMSDU = 0x80;
/**
 * An A-MSDU subframe (IEEE 802.11-2020 §9.3.2.2.2): destination and source address, the MSDU's
 * length (big-endian), the MSDU (an LLC/SNAP header and the packet), padding to a multiple of
 * 4 bytes except after the last.
 */
const AMSDU_SUBFRAME_HEADER_LENGTH = 14;
/**
 * Most subframes decoded from one A-MSDU. The largest A-MSDU (11,454 bytes) holds at most a few
 * full-size packets, or a few hundred tiny ones; 64 covers every aggregate a real station builds
 * while bounding the work one frame can cause.
 */
export const MAX_AMSDU_SUBFRAMES = 64;
const WIFI_AMSDU_MALFORMED = A['wifi.amsdu_malformed'];

/** Radiotap header, then an 802.11 frame. */
export function decodeRadiotap(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const start = cur.off;
  const length = radioHeaderLength(buf, cur, anomalies, RADIOTAP_MIN_LENGTH);
  if (length < 0) return -length;
  // Fields start after the last presence word; TSFT (8 bytes, 8-aligned) comes before Flags.
  const present = u32le(buf, start + 4);
  let p = 8;
  for (let word = present, n = 1; (word & RADIOTAP_PRESENT_EXT) !== 0; n++) {
    if (n >= MAX_RADIOTAP_PRESENT_WORDS || p + 4 > length) {
      anomalies.add(WIFI_MALFORMED);
      return DecodeStatus.Malformed;
    }
    word = u32le(buf, start + p);
    p += 4;
  }
  let flags = 0;
  if ((present & RADIOTAP_TSFT) !== 0) p = ((p + 7) & ~7) + 8;
  if ((present & RADIOTAP_FLAGS) !== 0 && p < length) flags = buf[start + p];
  cur.off = start + length;
  if ((flags & RADIOTAP_F_FCS) !== 0) dropFcs(cur);
  return decodeIeee80211(buf, cur, anomalies, (flags & RADIOTAP_F_DATAPAD) !== 0);
}

/** Prism monitor header (LINKTYPE_IEEE802_11_PRISM; linux-wlan-ng): message code, then its length in host order. */
const PRISM_MIN_LENGTH = 8;
/** The largest radio header accepted before an 802.11 frame (Prism's is 144 bytes, AVS's 64). */
const MAX_RADIO_HEADER_LENGTH = 1024;
/** AVS capture header (LINKTYPE_IEEE802_11_AVS): version 0x8021100N and the header length, big-endian. */
const AVS_VERSION_MASK = 0xfffffff0;
const AVS_VERSION = 0x80211000;
const AVS_MIN_LENGTH = 8;

/** Prism header, then an 802.11 frame. Its length is in the capturing host's byte order: either is taken when sane. */
export function decodePrism(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const start = cur.off;
  if (cur.end - start < PRISM_MIN_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const sane = (n: number): boolean => n >= PRISM_MIN_LENGTH && n <= MAX_RADIO_HEADER_LENGTH;
  const le = u32le(buf, start + 4);
  const length = sane(le) ? le : u32be(buf, start + 4);
  return afterRadioHeader(buf, cur, anomalies, sane(length) ? length : -1);
}

/** AVS header, then an 802.11 frame. */
export function decodeAvs(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const start = cur.off;
  if (cur.end - start < AVS_MIN_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const length = u32be(buf, start + 4);
  const ok = (u32be(buf, start) & AVS_VERSION_MASK) >>> 0 === AVS_VERSION && length >= AVS_MIN_LENGTH && length <= MAX_RADIO_HEADER_LENGTH;
  return afterRadioHeader(buf, cur, anomalies, ok ? length : -1);
}

/** Skips a radio header of `length` bytes (-1: malformed) and decodes the 802.11 frame after it. */
function afterRadioHeader(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, length: number): number {
  if (length < 0) {
    anomalies.add(WIFI_MALFORMED);
    return DecodeStatus.Malformed;
  }
  if (cur.end - cur.off < length) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off += length;
  return decodeIeee80211(buf, cur, anomalies, false);
}

/** PPI header, then an 802.11 frame (other DLTs behind PPI are not decoded: not IP). */
export function decodePpi(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const start = cur.off;
  const length = radioHeaderLength(buf, cur, anomalies, PPI_HEADER_LENGTH);
  if (length < 0) return -length;
  cur.off = start + length;
  if (u32le(buf, start + 4) !== DLT_IEEE802_11) {
    cur.etherType = ETHERTYPE_NONE;
    return NEXT_LAYER;
  }
  return decodeIeee80211(buf, cur, anomalies, false);
}

/**
 * An 802.11 frame at cur.off. Returns NEXT_LAYER with cur.etherType from the LLC/SNAP header of
 * an unprotected data frame, or ETHERTYPE_NONE for every other frame. `swapFc`: the Frame
 * Control field's two bytes arrive swapped.
 */
export function decodeIeee80211(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, dataPad: boolean, swapFc = false): number {
  const off = cur.off;
  if (cur.end - off < 2) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  // Cisco's CAPWAP access points send the two Frame Control bytes swapped (see capwapSwapsFrameControl).
  const fc0 = swapFc ? buf[off + 1] : buf[off];
  const fc1 = swapFc ? buf[off] : buf[off + 1];
  const subtype = fc0 >> 4;
  cur.etherType = ETHERTYPE_NONE;
  // Version 0 data frames with a payload, not encrypted: anything else carries no packet we can read.
  if ((fc0 & 0x03) !== 0 || ((fc0 >> 2) & 0x03) !== WIFI_TYPE_DATA || (subtype & WIFI_SUBTYPE_NO_DATA) !== 0 || (fc1 & WIFI_FC1_PROTECTED) !== 0) {
    return NEXT_LAYER;
  }
  let length = WIFI_HEADER_LENGTH;
  if ((fc1 & WIFI_FC1_TO_FROM_DS) === WIFI_FC1_TO_FROM_DS) length += 6;
  let amsdu = false;
  if ((subtype & WIFI_SUBTYPE_QOS) !== 0) {
    length += 2;
    if (cur.end - off >= length) amsdu = (buf[off + length - 2] & WIFI_QOS_AMSDU) !== 0;
    if ((fc1 & WIFI_FC1_ORDER) !== 0) length += 4;
  }
  if (dataPad) length = (length + 3) & ~3;
  if (cur.end - off < length) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off = off + length;
  if (amsdu) {
    // Several packets in one frame: the first subframe is decoded now, FrameDecoder asks for the rest.
    cur.amsduStart = cur.off;
    cur.amsduEnd = cur.end;
    cur.amsduWireEnd = cur.wireEnd;
    return decodeAmsduSubframe(buf, cur, anomalies);
  }
  return decodeLlcSnap(buf, cur);
}

/**
 * The A-MSDU subframe at cur.off, inside the aggregate that cur.amsduStart/End/WireEnd describe:
 * narrows the cursor to its MSDU, reads the LLC/SNAP header, and sets cur.amsduNext to the next
 * subframe (-1 after the last). A length past the aggregate is wifi.amsdu_malformed.
 */
export function decodeAmsduSubframe(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  cur.amsduNext = -1;
  cur.etherType = ETHERTYPE_NONE;
  if (cur.amsduEnd - off < AMSDU_SUBFRAME_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const msduEnd = off + AMSDU_SUBFRAME_HEADER_LENGTH + u16be(buf, off + 12);
  if (msduEnd > cur.amsduWireEnd) {
    anomalies.add(WIFI_AMSDU_MALFORMED);
    return DecodeStatus.Malformed;
  }
  const next = cur.amsduStart + ((msduEnd - cur.amsduStart + 3) & ~3);
  if (next + AMSDU_SUBFRAME_HEADER_LENGTH <= cur.amsduWireEnd) cur.amsduNext = next;
  cur.off = off + AMSDU_SUBFRAME_HEADER_LENGTH;
  cur.wireEnd = msduEnd;
  cur.end = msduEnd < cur.amsduEnd ? msduEnd : cur.amsduEnd;
  return decodeLlcSnap(buf, cur);
}

/**
 * Radiotap and PPI share a shape: version 0 in the first byte, the header's little-endian length
 * at bytes 2–3. Returns that length once the whole header is captured, else minus the
 * DecodeStatus (a status is positive) with the anomaly counted.
 */
function radioHeaderLength(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, minLength: number): number {
  const start = cur.off;
  if (cur.end - start < minLength) {
    anomalies.add(LINK_TRUNCATED);
    return -DecodeStatus.Truncated;
  }
  const length = u16le(buf, start + 2);
  if (buf[start] !== 0 || length < minLength) {
    anomalies.add(WIFI_MALFORMED);
    return -DecodeStatus.Malformed;
  }
  if (cur.end - start < length) {
    anomalies.add(LINK_TRUNCATED);
    return -DecodeStatus.Truncated;
  }
  return length;
}

/** The frame ends with a frame check sequence: it is not part of the packet. */
function dropFcs(cur: LayerCursor): void {
  if (cur.wireEnd - cur.off >= FCS_LENGTH) cur.wireEnd -= FCS_LENGTH;
  if (cur.end > cur.wireEnd) cur.end = cur.wireEnd;
}

/** A Frame Control byte (the first) of a version-0 data frame. */
function isDataFrameControl(b: number): boolean {
  return (b & 0x03) === 0 && ((b >> 2) & 0x03) === WIFI_TYPE_DATA;
}

/**
 * Whether the 802.11 frame at `off` that a CAPWAP data channel carries has its Frame Control
 * bytes swapped. Cisco's access points swap them, and tshark assumes so by default
 * (capwap.swap_fc); others send them in order. Swapped unless only the unswapped reading is a
 * data frame, so a capture that tshark decodes is decoded the same way, and one from another
 * vendor is decoded too.
 */
export function capwapSwapsFrameControl(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 2) return true;
  return isDataFrameControl(buf[off + 1]) || !isDataFrameControl(buf[off]);
}
