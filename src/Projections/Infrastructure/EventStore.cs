using System.Reflection;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Audit;
using EnvForge.Projections.DevLinks;
using EnvForge.Projections.Elevation;
using EnvForge.Projections.Organizations;
using EnvForge.Projections.Sessions;
using EnvForge.Projections.Wallet;
using EnvForge.Projections.Workspaces;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Weasel.Core;

namespace EnvForge.Projections.Infrastructure;

/// <summary>The one place EnvForge's Marten store is described: serialization, event names, projections, indexes.</summary>
public static class EventStore
{
    public const string DefaultSchema = "envforge";

    public static void Configure(StoreOptions options, string connectionString, string schema = DefaultSchema)
    {
        options.Connection(WritePath.Connection(connectionString));
        options.DatabaseSchemaName = schema;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

        foreach (var (type, name) in EventNames(typeof(IDomainEvent).Assembly))
        {
            options.Events.MapEventType(type, name);
        }

        WritePath.Apply(options);

        // Every event's metadata: correlation (the request or workflow run), causation, and who wrote it.
        options.Events.MetadataConfig.EnableAll();
        options.Events.MetadataConfig.UserNameEnabled = true;

        // Each capability's snapshots, read models and indexes: one line per capability.
        options.AddOrganizations();
        options.AddWorkspaces();
        options.AddElevation();
        options.AddDevLinks();
        options.AddWallet();
        options.AddAudit();
        options.AddSessions();
    }

    /// <summary>Every domain event type with its stable stored name. A domain event without a name is a bug.</summary>
    public static IEnumerable<(Type Type, string Name)> EventNames(Assembly domain)
    {
        foreach (var type in domain.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDomainEvent).IsAssignableFrom(t)))
        {
            var name = type.GetCustomAttribute<EventNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{type.FullName} has no [EventName]: give it a stable, versioned name.");
            yield return (type, name);
        }
    }
}
