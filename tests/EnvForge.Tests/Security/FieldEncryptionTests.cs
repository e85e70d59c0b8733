using System.Security.Cryptography;
using EnvForge.Workflows.Security;

namespace EnvForge.Tests.Security;

public sealed class FieldEncryptionTests
{
    private static readonly byte[] K1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] K2 = RandomNumberGenerator.GetBytes(32);
    private const string Arn = "arn:aws:iam::123456789012:role/envforge";

    [Fact]
    public void A_sealed_value_opens_with_its_purpose_and_hides_the_plaintext()
    {
        var encryption = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        var sealedValue = encryption.Seal(Arn, "org:a:aws-role-arn");

        Assert.Equal("k1", sealedValue.KeyId);
        Assert.DoesNotContain("123456789012", sealedValue.Ciphertext, StringComparison.Ordinal);
        Assert.DoesNotContain("123456789012", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(sealedValue.Ciphertext)), StringComparison.Ordinal);
        Assert.Equal(Arn, encryption.Open(sealedValue, "org:a:aws-role-arn"));
    }

    [Fact]
    public void Sealing_twice_gives_different_ciphertexts()
    {
        var encryption = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        Assert.NotEqual(encryption.Seal(Arn, "p").Ciphertext, encryption.Seal(Arn, "p").Ciphertext);
    }

    [Fact]
    public void A_value_sealed_for_one_org_does_not_open_for_another()
    {
        var encryption = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        var sealedValue = encryption.Seal(Arn, FieldEncryption.RoleArnPurpose(Guid.CreateVersion7()));
        Assert.ThrowsAny<CryptographicException>(() => encryption.Open(sealedValue, FieldEncryption.RoleArnPurpose(Guid.CreateVersion7())));
    }

    [Fact]
    public void A_tampered_ciphertext_does_not_open()
    {
        var encryption = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        var sealedValue = encryption.Seal(Arn, "p");
        var bytes = Convert.FromBase64String(sealedValue.Ciphertext);
        bytes[3] ^= 0x01;
        Assert.ThrowsAny<CryptographicException>(() => encryption.Open(sealedValue with { Ciphertext = Convert.ToBase64String(bytes) }, "p"));
    }

    [Fact]
    public void After_rotation_old_values_open_and_new_values_use_the_new_key()
    {
        var before = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        var old = before.Seal(Arn, "p");
        var after = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1, ["k2"] = K2 }, "k2");

        Assert.Equal(Arn, after.Open(old, "p"));
        Assert.Equal("k2", after.Seal(Arn, "p").KeyId);
    }

    [Fact]
    public void A_key_missing_from_the_ring_is_a_clear_error()
    {
        var before = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = K1 }, "k1");
        var old = before.Seal(Arn, "p");
        var other = new FieldEncryption(new Dictionary<string, byte[]> { ["k2"] = K2 }, "k2");
        var error = Assert.ThrowsAny<CryptographicException>(() => other.Open(old, "p"));
        Assert.Contains("'k1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_file_is_created_once_and_reused()
    {
        var dir = Directory.CreateTempSubdirectory("envforge-keys-").FullName;
        try
        {
            var first = FieldEncryption.Load(new Dictionary<string, string>(), null, dir);
            var sealedValue = first.Seal(Arn, "p");
            var second = FieldEncryption.Load(new Dictionary<string, string>(), null, dir);
            Assert.Equal(Arn, second.Open(sealedValue, "p"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "field-encryption.keys")));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
