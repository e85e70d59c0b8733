namespace EnvForge.Domain.Common;

/// <summary>
/// The stable, versioned name an event is stored under (for example <c>organization.member_added.v1</c>).
/// Renaming or moving the class never changes history that auditors replay; a new shape gets a new version.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
