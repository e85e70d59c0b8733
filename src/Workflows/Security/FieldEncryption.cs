using System.Security.Cryptography;
using System.Text;
using EnvForge.Domain.Common;

namespace EnvForge.Workflows.Security;

/// <summary>
/// AES-256-GCM for sensitive fields (role ARNs). Keys live outside the database (a key file or configuration) and
/// carry ids: new values are sealed with the current key, old values open with the key they name, so keys rotate
/// without rewriting history. The associated data binds a value to its purpose and owner (for example
/// <c>org:{id}:aws-role-arn</c>), so a ciphertext copied to another org or field does not open.
/// </summary>
public sealed class FieldEncryption
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly IReadOnlyDictionary<string, byte[]> _keys;
    private readonly string _currentKeyId;

    public FieldEncryption(IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
    {
        if (!keys.TryGetValue(currentKeyId, out var current))
        {
            throw new ArgumentException($"The current key '{currentKeyId}' is not in the key ring.", nameof(currentKeyId));
        }

        if (keys.Values.Any(k => k.Length != 32))
        {
            throw new ArgumentException("Every field-encryption key must be 256 bits.", nameof(keys));
        }

        _ = current;
        _keys = keys;
        _currentKeyId = currentKeyId;
    }

    public string CurrentKeyId => _currentKeyId;

    public EncryptedValue Seal(string plaintext, string associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[clear.Length + TagSize];
        using var aes = new AesGcm(_keys[_currentKeyId], TagSize);
        aes.Encrypt(nonce, clear, sealedBytes.AsSpan(0, clear.Length), sealedBytes.AsSpan(clear.Length), Encoding.UTF8.GetBytes(associatedData));
        return new EncryptedValue(_currentKeyId, Convert.ToBase64String(nonce), Convert.ToBase64String(sealedBytes));
    }

    /// <exception cref="CryptographicException">Wrong key, tampered ciphertext or another owner's value.</exception>
    public string Open(EncryptedValue value, string associatedData)
    {
        if (!_keys.TryGetValue(value.KeyId, out var key))
        {
            throw new CryptographicException($"Field-encryption key '{value.KeyId}' is not in the key ring.");
        }

        var nonce = Convert.FromBase64String(value.Nonce);
        var sealedBytes = Convert.FromBase64String(value.Ciphertext);
        if (nonce.Length != NonceSize || sealedBytes.Length < TagSize)
        {
            throw new CryptographicException("The sealed value is malformed.");
        }

        var clear = new byte[sealedBytes.Length - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(nonce, sealedBytes.AsSpan(0, clear.Length), sealedBytes.AsSpan(clear.Length), clear, Encoding.UTF8.GetBytes(associatedData));
        return Encoding.UTF8.GetString(clear);
    }

    public static string RoleArnPurpose(Guid orgId) => $"org:{orgId:N}:aws-role-arn";

    /// <summary>Loads the key ring from configuration "Encryption:Keys" or the data directory's <c>field-encryption.keys</c> (see <see cref="KeyRing"/>).</summary>
    public static FieldEncryption Load(IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory)
    {
        var (keys, current) = KeyRing.Load(configuredKeys, currentKeyId, dataDirectory, "field-encryption.keys", "k1");
        return new FieldEncryption(keys, current);
    }
}
