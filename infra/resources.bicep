// Everything the bot runs on, in one resource group. No keys anywhere: the bot, the registry pull, Table
// Storage and telemetry all use one user-assigned managed identity.
//
// checkov waivers: each is named inside the resource it concerns (checkov reads them there); why:
//   CKV_AZURE_35, CKV_AZURE_59 (storage reachable from all networks): the bot runs on Container Apps without
//     a VNet and reaches the account over its public endpoint. Shared keys are off, so only Entra ID tokens
//     of identities with a data role get in.
//   CKV_AZURE_206 (storage replication): zone-redundant (ZRS) by default; geo-redundant SKUs by parameter.
//   CKV_AZURE_43 (storage account name rules): checkov cannot evaluate the computed name; it is 'stbot' and
//     uniqueString()'s 13 lowercase letters and digits, 18 characters in all, within the rules.
//   CKV_AZURE_139 (registry public network access): azd pushes the image from the partner's machine or
//     an ACR build; admin user and anonymous pull are off, so pulls need the managed identity's AcrPull.
//   CKV_AZURE_163, CKV_AZURE_166 (registry image scanning and quarantine): Defender for Containers is a
//     subscription-wide plan the partner chooses; quarantine needs the Premium tier.

param environmentName string
param location string
param tags object
param botImage string
param allowedTenantIds string
param approverIds string
param engineerIds string
param partnerAdminIds string
param partnerTenantId string
@allowed([
  'lighthouse'
  'app'
])
param azureCredential string
param botSdk string
param customerAppClientId string
param minReplicas int
param maxReplicas int
param assessmentWorkers int
param assessmentQueueLimit int
param assessmentsPerCustomer int
param assessmentsPerUser int
param assessmentReadReserve int
@allowed([
  'Standard_ZRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_ZRS'

var token = toLower(uniqueString(subscription().id, environmentName, location))
var appName = 'ca-bot-${token}'
var port = 3978
// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
// The first provision has no image yet: a placeholder runs until `azd deploy` replaces it.
var image = empty(botImage) ? 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest' : botImage

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-bot-${token}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 90
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    // Telemetry is accepted only with an Entra ID token: the connection string alone cannot write.
    DisableLocalAuth: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: no VNet; Entra ID only, shared keys off (see the top of this file)
  // checkov:skip=CKV_AZURE_59: no VNet; Entra ID only, shared keys off (see the top of this file)
  // checkov:skip=CKV_AZURE_206: ZRS by default, geo-redundant by parameter (see the top of this file)
  // checkov:skip=CKV_AZURE_43: computed name, 18 lowercase letters and digits (see the top of this file)
  name: 'stbot${token}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: azd pushes over the public endpoint; pulls need AcrPull (see the top of this file)
  // checkov:skip=CKV_AZURE_163: Defender for Containers is the partner's subscription plan (see the top of this file)
  // checkov:skip=CKV_AZURE_166: quarantine needs the Premium tier (see the top of this file)
  name: 'crbot${token}'
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, roles.acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource tableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource telemetryWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${token}'
  location: location
  tags: tags
  properties: {
    // Console and system logs go to Log Analytics through the diagnostic setting below: no shared key.
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    zoneRedundant: false
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: environment
  properties: {
    workspaceId: logs.id
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

var messagingEndpoint = 'https://${appName}.${environment.properties.defaultDomain}/api/messages'

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'bot' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'http'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'bot'
          image: image
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          // Every setting the bot reads (settings.py); tests/infra checks this list against it.
          env: [
            { name: 'HOST', value: '0.0.0.0' }
            { name: 'PORT', value: string(port) }
            { name: 'BOT_SDK', value: botSdk }
            { name: 'MicrosoftAppType', value: 'UserAssignedMSI' }
            { name: 'MicrosoftAppId', value: identity.properties.clientId }
            { name: 'MicrosoftAppTenantId', value: identity.properties.tenantId }
            { name: 'ALLOWED_TENANT_IDS', value: allowedTenantIds }
            { name: 'APPROVER_IDS', value: approverIds }
            { name: 'ENGINEER_IDS', value: engineerIds }
            { name: 'PARTNER_ADMIN_IDS', value: partnerAdminIds }
            { name: 'PARTNER_TENANT_ID', value: partnerTenantId }
            { name: 'PUBLIC_BASE_URL', value: 'https://${appName}.${environment.properties.defaultDomain}' }
            // The customer-access mode: lighthouse acts as the managed identity itself; app acts as the
            // partner's multi-tenant app, with the managed identity's token as its federated credential.
            { name: 'AZURE_CREDENTIAL', value: azureCredential }
            { name: 'AZURE_CLIENT_ID', value: (azureCredential == 'app') ? customerAppClientId : '' }
            { name: 'AZURE_TENANT_ID', value: identity.properties.tenantId }
            { name: 'MANAGED_IDENTITY_CLIENT_ID', value: identity.properties.clientId }
            { name: 'STORAGE_URL', value: 'azure-table://${storage.name}' }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
            { name: 'ASSESSMENT_WORKERS', value: string(assessmentWorkers) }
            { name: 'ASSESSMENT_QUEUE_LIMIT', value: string(assessmentQueueLimit) }
            { name: 'ASSESSMENTS_PER_CUSTOMER', value: string(assessmentsPerCustomer) }
            { name: 'ASSESSMENTS_PER_USER', value: string(assessmentsPerUser) }
            { name: 'ASSESSMENT_READ_RESERVE', value: string(assessmentReadReserve) }
          ]
          probes: [
            {
              // Container Apps allows at most 10 failures and a 60 s initial delay: up to about 55 s to start.
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: port
              }
              initialDelaySeconds: 5
              periodSeconds: 5
              failureThreshold: 10
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/healthz'
                port: port
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              // Liveness only asks whether the process answers: a storage outage must not restart replicas.
              type: 'Liveness'
              tcpSocket: {
                port: port
              }
              periodSeconds: 30
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
      }
    }
  }
  dependsOn: [
    acrPull
    tableData
    telemetryWriter
  ]
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: 'bot-${token}'
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: 'S1'
  }
  properties: {
    displayName: 'CSP Migration'
    endpoint: messagingEndpoint
    msaAppType: 'UserAssignedMSI'
    msaAppId: identity.properties.clientId
    msaAppTenantId: identity.properties.tenantId
    msaAppMSIResourceId: identity.id
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

output appName string = app.name
output registryLoginServer string = registry.properties.loginServer
output botAppId string = identity.properties.clientId
output messagingEndpoint string = messagingEndpoint
output identityPrincipalId string = identity.properties.principalId
