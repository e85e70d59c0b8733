using System.Text.RegularExpressions;
using EnvForge.Workflows.Aws;

namespace EnvForge.Workflows.Terraform;

/// <summary>
/// Removes anything that looks like an AWS credential from text that leaves the runner (progress, summaries, errors):
/// the run's own credential values, access key ids, and long base64 runs (secret keys are 40 characters, session tokens
/// hundreds). Over-redacting a hash is a fair price for never quoting a secret.
/// </summary>
public static partial class Redaction
{
    public const string Marker = "[redacted]";

    public static string Redact(string text, AwsSessionCredentials? known = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (known is not null)
        {
            foreach (var value in new[] { known.SessionToken, known.SecretAccessKey, known.AccessKeyId })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    text = text.Replace(value, Marker, StringComparison.Ordinal);
                }
            }
        }

        text = AccessKeyId().Replace(text, Marker);
        return LongBase64().Replace(text, Marker);
    }

    [GeneratedRegex("(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")]
    private static partial Regex AccessKeyId();

    [GeneratedRegex("(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40,}={0,2}(?![A-Za-z0-9/+=])")]
    private static partial Regex LongBase64();
}
