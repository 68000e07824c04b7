package dev.kiln.net;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/** Test-only Ethernet frames, written as a guest would put them on its NIC. */
final class Frames {
    static final int ETH_ARP = 0x0806;
    static final int ETH_IPV4 = 0x0800;
    /** IEEE "local experimental" EtherType: bridged, never handed to the IP stack or netfilter. */
    static final int ETH_EXPERIMENTAL = 0x88b5;

    private Frames() {
    }

    static byte[] mac(String text) {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    static byte[] ip(String dotted) {
        return ByteBuffer.allocate(4).putInt(Ipv4Cidr.toBits(dotted)).array();
    }

    static byte[] arpRequest(MacAddress sender, String senderIp, String targetIp) {
        ByteBuffer frame = ethernet(mac("ff:ff:ff:ff:ff:ff"), mac(sender.value()), ETH_ARP, 28);
        frame.putShort((short) 1).putShort((short) ETH_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1);
        frame.put(mac(sender.value())).put(ip(senderIp)).put(new byte[6]).put(ip(targetIp));
        return frame.array();
    }

    /** True for an ARP reply saying that {@code ip} is at some MAC. */
    static boolean isArpReplyFrom(byte[] frame, String ip) {
        ByteBuffer buffer = ByteBuffer.wrap(frame);
        return frame.length >= 42 && (buffer.getShort(12) & 0xffff) == ETH_ARP && buffer.getShort(20) == 2
                && buffer.getInt(28) == Ipv4Cidr.toBits(ip);
    }

    static byte[] udp(MacAddress from, MacAddress to, String fromIp, String toIp, byte[] payload) {
        int ipLength = 20 + 8 + payload.length;
        ByteBuffer frame = ethernet(mac(to.value()), mac(from.value()), ETH_IPV4, ipLength);
        int ipStart = frame.position();
        frame.put((byte) 0x45).put((byte) 0).putShort((short) ipLength).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(ip(fromIp)).put(ip(toIp));
        frame.putShort(ipStart + 10, checksum(frame.array(), ipStart, 20));
        frame.putShort((short) 40000).putShort((short) 40001).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return frame.array();
    }

    /** A frame of {@code size} bytes that the bridge forwards at layer 2 only. */
    static byte[] experimental(MacAddress from, MacAddress to, int size) {
        ByteBuffer frame = ethernet(mac(to.value()), mac(from.value()), ETH_EXPERIMENTAL, size - 14);
        return frame.array();
    }

    static int etherType(byte[] frame) {
        return frame.length < 14 ? -1 : ByteBuffer.wrap(frame).getShort(12) & 0xffff;
    }

    static boolean contains(byte[] frame, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= frame.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (frame[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static ByteBuffer ethernet(byte[] destination, byte[] source, int etherType, int payloadLength) {
        ByteBuffer frame = ByteBuffer.allocate(14 + payloadLength);
        return frame.put(destination).put(source).putShort((short) etherType);
    }

    private static short checksum(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = offset; i < offset + length; i += 2) {
            sum += ((data[i] & 0xff) << 8) | (data[i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
