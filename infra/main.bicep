// The bot in one resource group: `azd up` provisions this, then builds and deploys the container.
// Resources and their settings are in resources.bicep; this file names the group and passes parameters.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the azd environment; resource names derive from it.')
param environmentName string

@minLength(1)
@description('Azure region for every resource except the Azure Bot (global).')
param location string

@description('Container image to run; empty on the first provision (azd fills it in after the first deploy).')
param botImage string = ''

@description('Teams tenants whose users may talk to the bot (comma-separated GUIDs); empty = this tenant.')
param allowedTenantIds string = ''

@description('Entra object ids of the people who may approve moves (comma-separated GUIDs).')
param approverIds string

@description('Entra object ids of the people who may assess and request moves for every tenant while no customer is registered; empty = nobody.')
param engineerIds string = ''

@description('Entra object ids of the users or security groups who manage the customer registry in chat (comma-separated GUIDs).')
param partnerAdminIds string

@description('The partner\'s Entra tenant, for the reseller-relationship invitation link; empty = this tenant.')
param partnerTenantId string = ''

@allowed([
  'lighthouse'
  'app'
])
@description('How the bot acts in customer tenants (AZURE_CREDENTIAL). lighthouse: as this deployment\'s managed identity, on subscriptions customers delegate to it with Azure Lighthouse. app: as the partner\'s multi-tenant app (customerAppClientId), consented in each customer tenant, proving itself with this managed identity\'s token (a federated credential on the app: no secret).')
param azureCredential string = 'lighthouse'

@allowed([
  'botbuilder'
  'agents'
])
@description('The Teams SDK the bot runs on (BOT_SDK): botbuilder (Bot Framework SDK 4.17, the default) or agents (Microsoft 365 Agents SDK 1.9). The Azure Bot registration is the same for both.')
param botSdk string = 'botbuilder'

@description('Client id of the partner\'s multi-tenant app registration; needed when azureCredential is app.')
param customerAppClientId string = ''

@minValue(2)
@description('Replicas that always run (state is shared in Table Storage, so any replica answers any turn).')
param minReplicas int = 2

@minValue(2)
param maxReplicas int = 4

@minValue(1)
@maxValue(16)
@description('Worker processes per replica that assess subscriptions (ASSESSMENT_WORKERS).')
param assessmentWorkers int = 2

@minValue(1)
@description('Assessments that may wait for a worker, per replica (ASSESSMENT_QUEUE_LIMIT).')
param assessmentQueueLimit int = 50

@minValue(1)
@description('Assessments of one customer waiting or running at once (ASSESSMENTS_PER_CUSTOMER).')
param assessmentsPerCustomer int = 20

@minValue(1)
@description('Assessments one person has waiting or running at once (ASSESSMENTS_PER_USER).')
param assessmentsPerUser int = 5

@minValue(0)
@maxValue(249)
@description('ARM reads of a subscription\'s bucket the assessment workers leave to running moves (ASSESSMENT_READ_RESERVE).')
param assessmentReadReserve int = 100

var tags = {
  'azd-env-name': environmentName
}

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'resources'
  scope: group
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    botImage: botImage
    allowedTenantIds: empty(allowedTenantIds) ? tenant().tenantId : allowedTenantIds
    approverIds: approverIds
    engineerIds: engineerIds
    partnerAdminIds: partnerAdminIds
    partnerTenantId: empty(partnerTenantId) ? tenant().tenantId : partnerTenantId
    azureCredential: azureCredential
    botSdk: botSdk
    customerAppClientId: customerAppClientId
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    assessmentWorkers: assessmentWorkers
    assessmentQueueLimit: assessmentQueueLimit
    assessmentsPerCustomer: assessmentsPerCustomer
    assessmentsPerUser: assessmentsPerUser
    assessmentReadReserve: assessmentReadReserve
  }
}

// azd keeps these in the environment (.azure/<env>/.env): the registry for `azd deploy`, the bot id for
// the Teams app package (tools/build_package.py reads BOT_ID), the endpoint to check.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.registryLoginServer
output SERVICE_BOT_NAME string = resources.outputs.appName
output BOT_ID string = resources.outputs.botAppId
output BOT_MESSAGING_ENDPOINT string = resources.outputs.messagingEndpoint
output MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
