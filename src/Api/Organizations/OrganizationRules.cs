using EnvForge.Domain.Organizations;
using FluentValidation;

namespace EnvForge.Api.Organizations;

/// <summary>Shape rules shared by the organization requests.</summary>
internal static class OrganizationRules
{
    public const int MaxNameLength = 100;
    public const int MaxUserIdLength = 200;

    public static readonly string RoleNames = string.Join(", ", Enum.GetNames<Role>());

    public static IRuleBuilderOptions<T, string?> ValidRole<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty()
        .Must(r => Infrastructure.EnumNames.IsName<Role>(r))
        .WithMessage($"Role must be one of: {RoleNames}.");

    public static IRuleBuilderOptions<T, string?> ValidUserId<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty()
        .MaximumLength(MaxUserIdLength)
        .Must(id => id is null || id.All(c => c > ' ' && c != 0x7f)).WithMessage("User id must not contain spaces or control characters.");

    public static IRuleBuilderOptions<T, string?> ValidName<T>(this IRuleBuilder<T, string?> rule) => rule
        .MaximumLength(MaxNameLength)
        .Must(n => n is null || !n.Any(char.IsControl)).WithMessage("Must not contain control characters.");

    public static Role ParseRole(string role) => Enum.Parse<Role>(role);
}
