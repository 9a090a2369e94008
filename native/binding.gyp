# Build recipe for egress-audit-native (see install.js, which runs it only when pcap.h is found).
# Plain N-API C: no node-addon-api dependency, ABI-stable across Node versions.
{
  "targets": [
    {
      "target_name": "egress_audit_native",
      "sources": ["src/capture.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "include_dirs": ["<!@(node -p \"process.env.EGRESS_AUDIT_PCAP_INCLUDE || ''\")"],
      "libraries": ["-lpcap"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11"] }
    }
  ]
}
