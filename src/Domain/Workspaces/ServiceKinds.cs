namespace EnvForge.Domain.Workspaces;

/// <summary>
/// The kind a service gets when its declaration names none. Apps are linkable; the tools that usually run beside an app in
/// a dev environment are not, and a developer who declares one without a kind must not publish it by accident: a service
/// whose name (or a dash-separated part of it) or port is that of a well-known console, mail catcher, store, shell or
/// database is private by default. Declaring <c>kind: app</c> explicitly is a deliberate choice and wins.
/// </summary>
public static class ServiceKinds
{
    /// <summary>Well-known names (lower case), each with its kind and why it must not be published to a reviewer.</summary>
    public static readonly IReadOnlyDictionary<string, (ServiceKind Kind, string Reason)> ByName = new Dictionary<string, (ServiceKind, string)>(StringComparer.Ordinal)
    {
        ["mailpit"] = (ServiceKind.Mail, "a mail catcher's inbox holds every mail the app sent: sign-in links, password resets, invitations"),
        ["mailhog"] = (ServiceKind.Mail, "a mail catcher's inbox holds every mail the app sent: sign-in links, password resets, invitations"),
        ["maildev"] = (ServiceKind.Mail, "a mail catcher's inbox holds every mail the app sent: sign-in links, password resets, invitations"),
        ["smtp"] = (ServiceKind.Mail, "an SMTP relay lets anyone send mail as the app"),
        ["mail"] = (ServiceKind.Mail, "a mail service or catcher: the app's outgoing mail"),
        ["minio"] = (ServiceKind.Storage, "object storage: every bucket and file, and its console's admin actions"),
        ["localstack"] = (ServiceKind.Storage, "an AWS emulator: buckets, queues and secrets the app keeps there"),
        ["s3"] = (ServiceKind.Storage, "object storage: every bucket and file"),
        ["ssh"] = (ServiceKind.Shell, "a shell on the workspace: every file, secret and process in it"),
        ["sshd"] = (ServiceKind.Shell, "a shell on the workspace: every file, secret and process in it"),
        ["shell"] = (ServiceKind.Shell, "a shell on the workspace: every file, secret and process in it"),
        ["terminal"] = (ServiceKind.Shell, "a web terminal is a shell on the workspace"),
        ["ttyd"] = (ServiceKind.Shell, "a web terminal is a shell on the workspace"),
        ["wetty"] = (ServiceKind.Shell, "a web terminal is a shell on the workspace"),
        ["code-server"] = (ServiceKind.Shell, "a browser IDE runs any command in the workspace"),
        ["jupyter"] = (ServiceKind.Shell, "a notebook server runs any code in the workspace"),
        ["tailscale"] = (ServiceKind.Admin, "a tailnet node opens the workspace's private network, not one app"),
        ["portainer"] = (ServiceKind.Admin, "a Docker console controls every container, which is root on the runtime host"),
        ["docker"] = (ServiceKind.Admin, "the Docker API controls every container, which is root on the runtime host"),
        ["traefik"] = (ServiceKind.Admin, "a proxy's dashboard shows and changes every route of the workspace"),
        ["pgadmin"] = (ServiceKind.Console, "a database console reads and writes every table"),
        ["adminer"] = (ServiceKind.Console, "a database console reads and writes every table"),
        ["phpmyadmin"] = (ServiceKind.Console, "a database console reads and writes every table"),
        ["mongo-express"] = (ServiceKind.Console, "a database console reads and writes every collection"),
        ["redis-commander"] = (ServiceKind.Console, "a cache console reads and writes every key, sessions included"),
        ["redisinsight"] = (ServiceKind.Console, "a cache console reads and writes every key, sessions included"),
        ["kibana"] = (ServiceKind.Console, "a log console: logs carry tokens, cookies and personal data"),
        ["grafana"] = (ServiceKind.Console, "a metrics and log console, with its data sources' credentials"),
        ["prometheus"] = (ServiceKind.Console, "a metrics console exposes every target's internals"),
        ["console"] = (ServiceKind.Console, "a console administers something other than the app"),
        ["postgres"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["postgresql"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["mysql"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["mariadb"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["mongo"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["mongodb"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["redis"] = (ServiceKind.Database, "a cache holds sessions and tokens"),
        ["elasticsearch"] = (ServiceKind.Database, "a search store answers any query over everything indexed"),
        ["db"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
        ["database"] = (ServiceKind.Database, "a database speaks its own protocol, never a reviewer's web surface"),
    };

    /// <summary>
    /// Well-known ports, each with its kind and why. Only ports that are not also a common app port: 3000, 5000, 8000, 8080
    /// or 9000 (MinIO's API, but also many app servers') decide nothing.
    /// </summary>
    public static readonly IReadOnlyDictionary<int, (ServiceKind Kind, string Reason)> ByPort = new Dictionary<int, (ServiceKind, string)>
    {
        [22] = (ServiceKind.Shell, "SSH: a shell on the workspace"),
        [25] = (ServiceKind.Mail, "SMTP: sending mail as the app"),
        [1025] = (ServiceKind.Mail, "the SMTP port of Mailpit and MailHog"),
        [8025] = (ServiceKind.Mail, "the web inbox of Mailpit and MailHog: every mail the app sent"),
        [9001] = (ServiceKind.Console, "the MinIO console: every bucket and its admin actions"),
        [2375] = (ServiceKind.Admin, "the Docker API without TLS: root on the runtime host"),
        [2376] = (ServiceKind.Admin, "the Docker API: root on the runtime host"),
        [41641] = (ServiceKind.Admin, "Tailscale: the workspace's private network"),
        [5432] = (ServiceKind.Database, "PostgreSQL"),
        [3306] = (ServiceKind.Database, "MySQL and MariaDB"),
        [27017] = (ServiceKind.Database, "MongoDB"),
        [6379] = (ServiceKind.Database, "Redis: sessions and tokens"),
        [9200] = (ServiceKind.Database, "Elasticsearch"),
        [5601] = (ServiceKind.Console, "Kibana: logs"),
        [15672] = (ServiceKind.Console, "the RabbitMQ management console"),
    };

    /// <summary>The kind of a service declared without one: private when its name, a dash-separated part of it, or its port is well known.</summary>
    public static ServiceKind DefaultFor(string name, int port)
    {
        var lower = name.ToLowerInvariant();
        if (ByName.TryGetValue(lower, out var whole))
        {
            return whole.Kind;
        }

        foreach (var part in lower.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ByName.TryGetValue(part, out var known))
            {
                return known.Kind;
            }
        }

        return ByPort.TryGetValue(port, out var byPort) ? byPort.Kind : ServiceKind.App;
    }
}
