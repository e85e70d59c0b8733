using System.Security.Cryptography;
using System.Text;

namespace EnvForge.Domain.Wallet;

/// <summary>
/// Ids that derive from others, so every writer finds the same stream or document without a lookup: the org's wallet
/// stream, an automatic top-up (from the wallet and how many came before it), and a usage receipt (workspace + period).
/// Name-based (RFC 9562 version 5) GUIDs.
/// </summary>
public static class WalletIds
{
    private static readonly Guid Namespace = Guid.Parse("6f1c2a4e-93b7-4c1e-8a55-0d7e2b9f4a10");

    /// <summary>The org's wallet stream (never the org's own id: that is the Organization stream).</summary>
    public static Guid For(Guid orgId) => Named($"wallet:{orgId:N}");

    public static Guid AutoTopUp(Guid walletId, int ordinal) => Named($"auto-top-up:{walletId:N}:{ordinal}");

    public static Guid UsageReceipt(Guid workspaceId, DateTimeOffset periodStart) => Named($"usage:{workspaceId:N}:{periodStart.UtcTicks}");

    private static Guid Named(string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetByteCount(name)];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 names for version-5 ids; it names, it does not protect.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
