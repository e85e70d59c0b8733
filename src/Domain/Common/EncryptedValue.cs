namespace EnvForge.Domain.Common;

/// <summary>
/// A sensitive field as it may appear in an event: AES-256-GCM ciphertext (tag appended), its nonce, and the id of
/// the key that sealed it, so keys rotate without rewriting history. The plaintext never enters an event.
/// </summary>
public sealed record EncryptedValue(string KeyId, string Nonce, string Ciphertext);
