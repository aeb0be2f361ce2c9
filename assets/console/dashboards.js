// The five dashboards as the console shows them: the root field, its filters and presets
// kind, and every panel — the field it reads (a dotted path for product sections), how it
// is drawn and the selection it asks for. Queries are built from these, so the console is a
// plain client of the public GraphQL API.

const K = 'key label value previous delta { absolute ratio status } unit currency betterWhen';
const kpis = (...keys) => keys.map((k) => `${k} { ${K} }`).join(' ');
const BREAKDOWN = 'other total hasMore';
const FUNNEL = 'name count conversionFromStart conversionFromPrevious inProgress droppedOff';

export const DASHBOARDS = [
  {
    key: 'apiUsage', kind: 'API_USAGE', title: 'API usage', preset: 'LAST_7_DAYS',
    filters: ['models', 'countries', 'endpoints', 'userIds'],
    panels: [
      { field: 'kpis', kind: 'kpis', select: kpis('totalRequests', 'successfulRequests', 'errorRate',
        'avgLatencyMs', 'p95LatencyMs', 'totalCost', 'avgCostPerRequest', 'totalTokens', 'activeUsers') },
      { field: 'requests', title: 'Requests', kind: 'series', stacked: true,
        select: 'start end isPartial success error', y: ['success', 'error'] },
      { field: 'latency', title: 'Latency (ms)', kind: 'series',
        select: 'start end isPartial avgMs p50Ms p95Ms', y: ['avgMs', 'p50Ms', 'p95Ms'] },
      { field: 'costs', title: 'Cost', kind: 'series', select: 'start end isPartial value', y: ['value'] },
      { field: 'errorsBreakdown', title: 'Errors by status', kind: 'breakdown', args: '(limit: 10)',
        select: `rows { label value share } ${BREAKDOWN}` },
      { field: 'topModels', title: 'Top models', kind: 'breakdown', args: '(limit: 10)',
        select: `rows { label value share cost avgLatencyMs errorRate } ${BREAKDOWN}` },
      { field: 'topCountries', title: 'Top countries', kind: 'breakdown', args: '(limit: 10)',
        select: `rows { label name value share } ${BREAKDOWN}` },
    ],
  },
  {
    key: 'chat', kind: 'CHAT', title: 'Chat', preset: 'LAST_30_DAYS',
    filters: ['experimentIds', 'platforms', 'participantIds', 'tagIds'],
    panels: [
      { field: 'kpis', kind: 'kpis', select: kpis('experiments', 'activeExperiments', 'participants',
        'activeParticipants', 'sessions', 'completedSessions', 'completionRate', 'messages',
        'avgMessagesPerSession', 'avgSessionsPerParticipant', 'avgResponseTimeSeconds') },
      { field: 'activeParticipants', title: 'Active participants', kind: 'series',
        select: 'start end isPartial activeParticipants', y: ['activeParticipants'] },
      { field: 'sessions', title: 'Sessions', kind: 'series',
        select: 'start end isPartial activeSessions activeParticipants', y: ['activeSessions', 'activeParticipants'] },
      { field: 'messageVolume', title: 'Messages', kind: 'series', stacked: true,
        select: 'start end isPartial participantMessages botMessages', y: ['participantMessages', 'botMessages'] },
      { field: 'responseTime', title: 'Response time (s)', kind: 'series',
        select: 'start end isPartial avgSeconds', y: ['avgSeconds'] },
      { field: 'botPerformance', title: 'Bot performance', kind: 'table', rowsAt: 'rows',
        args: '(limit: 100)',
        select: 'totalCount rows { experiment { name } participants sessions messages avgSessionDurationMinutes completionRate avgMessagesPerSession }' },
      { field: 'engagement.mostActive', title: 'Most active participants', kind: 'table', args: '(limit: 10)',
        select: 'participant { displayName platform } messages sessions lastActiveAt' },
      { field: 'engagement.sessionLengthDistribution', title: 'Session length (minutes)', kind: 'histogram',
        select: 'start end count' },
      { field: 'channelBreakdown', title: 'Channels', kind: 'table', rowsAt: 'rows',
        select: 'rows { platform sessions messages participants share } totals { sessions messages participants }' },
      { field: 'tags', title: 'Tags', kind: 'tags', select: 'category label total tags { tag { name } count }' },
    ],
  },
  {
    key: 'publishing', kind: 'PUBLISHING', title: 'Publishing', preset: 'LAST_30_DAYS',
    filters: ['platforms'],
    panels: [
      { field: 'queue', title: 'Queue', kind: 'object',
        select: 'pending processing success failed avgProcessingTimeMs oldestPendingAgeSeconds' },
      { field: 'overview', title: 'Overview', kind: 'object',
        select: 'totalVideos totalClips totalJobs totalCampaigns pendingJobs processingJobs failedJobs successLogs failedLogs scheduledPublications' },
      { field: 'orchestrator', title: 'Orchestrator', kind: 'object',
        select: 'lastRunAt actionsLastHour actionsLast24h queueSaturation activeWorkers' },
      { field: 'publications', title: 'Publications', kind: 'series',
        select: 'start end isPartial success failed requested', y: ['success', 'failed', 'requested'] },
      { field: 'processingTime', title: 'Processing time (ms)', kind: 'series',
        select: 'start end isPartial avgMs p95Ms', y: ['avgMs', 'p95Ms'] },
      { field: 'platforms', title: 'Platforms', kind: 'table',
        select: 'platform clipsReady clipsPublished avgScore jobsCompleted jobsFailed' },
      { field: 'campaigns', title: 'Campaigns', kind: 'object',
        select: 'draft active paused completed totalBudget totalSpent' },
    ],
  },
  {
    key: 'executive', kind: 'EXECUTIVE', title: 'Executive', preset: 'LAST_12_MONTHS', months: true,
    filters: ['customers'],
    panels: [
      { field: 'alerts', title: 'Alerts', kind: 'alerts', select: 'severity kpi value threshold message' },
      { field: 'kpis', kind: 'kpis', select: kpis('revenue', 'backlog', 'uptime', 'nrr', 'grossMargin',
        'bookToBill', 'coverageMonths', 'arr', 'forecast') },
      { field: 'revenueTrend', title: 'Revenue', kind: 'series', label: 'period',
        select: 'period start end isPartial recognized booked backlog', y: ['recognized', 'booked', 'backlog'] },
      { field: 'uptime', title: 'Uptime', kind: 'series', label: 'period',
        select: 'period start end isPartial uptime', y: ['uptime'] },
      { field: 'atRiskCustomers', title: 'Customers at risk', kind: 'table', args: '(limit: 10)',
        select: 'customer previousAmount currentAmount drop dropRatio stopped' },
      { field: 'qualityGates', title: 'Quality gates', kind: 'table',
        select: 'name p95Ms samples thresholdMs passed' },
    ],
  },
  {
    key: 'product', kind: 'PRODUCT', title: 'Product', preset: 'LAST_30_DAYS',
    filters: ['channels', 'regions', 'platforms'],
    panels: [
      { field: 'executive.kpis', kind: 'kpis', select: kpis('activeUsers', 'dau', 'wau', 'mau', 'newUsers',
        'activeMembers', 'newMembers', 'memberConversion', 'revenue', 'arpu', 'arppu', 'avgStudyMinutes', 'd1Retention') },
      { field: 'executive.series', title: 'Activity', kind: 'series',
        select: 'start end isPartial activeUsers newUsers newMembers', y: ['activeUsers', 'newUsers', 'newMembers'] },
      { field: 'executive.topChannels', title: 'Registrations by channel', kind: 'breakdown', args: '(limit: 5)',
        select: `rows { label value share } ${BREAKDOWN}` },
      { field: 'growth.activeUsersBySegment', title: 'Active users by segment', kind: 'series', stacked: true,
        select: 'start end isPartial new returning resurrected unregistered', y: ['new', 'returning', 'resurrected', 'unregistered'] },
      { field: 'growth.retentionCohorts', title: 'Retention cohorts', kind: 'retention', args: '(offsetsDays: [1, 7, 30])',
        select: 'start isPartial size offsets { offsetDays eligible retained rate }' },
      { field: 'growth.activationFunnel', title: 'Activation funnel (14 days)', kind: 'funnel', args: '(windowDays: 14)', select: FUNNEL },
      { field: 'monetization.kpis', kind: 'kpis', select: kpis('revenue', 'mrr', 'arppu', 'churnedMembers', 'renewalRate') },
      { field: 'monetization.planMix', title: 'Plan mix', kind: 'table', select: 'planType count revenue share' },
      { field: 'monetization.cumulativeRevenue', title: 'Cumulative revenue', kind: 'series',
        select: 'start end isPartial cumulative', y: ['cumulative'] },
      { field: 'monetization.membershipFunnel', title: 'Membership funnel', kind: 'funnel', select: FUNNEL },
      { field: 'learning.kpis', kind: 'kpis', select: kpis('lessonsStarted', 'lessonsCompleted', 'completionRate',
        'avgLessonMinutes', 'practiceCount') },
      { field: 'learning.topCourses', title: 'Top courses', kind: 'table', args: '(limit: 10)',
        select: 'courseId starts completions completionRate avgMinutes' },
      { field: 'learning.topWords', title: 'Top words', kind: 'table', args: '(limit: 10)', select: 'word practices errorRate' },
      { field: 'learning.learningFunnel', title: 'Learning funnel', kind: 'funnel', select: FUNNEL },
      { field: 'ops.kpis', kind: 'kpis', select: kpis('calls', 'successRate', 'avgLatencyMs', 'p95LatencyMs', 'totalCost') },
      { field: 'ops.series', title: 'Generation calls', kind: 'series', stacked: true,
        select: 'start end isPartial succeeded failed', y: ['succeeded', 'failed'] },
      { field: 'ops.byModel', title: 'By model', kind: 'table', select: 'model calls successRate tokens cost avgLatencyMs' },
      { field: 'ops.byStage', title: 'By stage', kind: 'table', select: 'stage calls failures failureRate p95LatencyMs' },
    ],
  },
];

/// The selection of one panel, nested under its section for dotted fields.
function selection(panel) {
  const parts = panel.field.split('.');
  let inner = `${parts[parts.length - 1]}${panel.args || ''} { ${panel.select} }`;
  for (let i = parts.length - 2; i >= 0; i -= 1) inner = `${parts[i]} { ${inner} }`;
  return inner;
}

/// The dashboard's query: one request for every panel, with the window, filter, preset
/// and refresh policy as variables.
export function dashboardQuery(d) {
  const filterType = `${d.key.charAt(0).toUpperCase()}${d.key.slice(1)}FilterInput`;
  const panels = d.panels.map(selection).join('\n    ');
  return `query Console($window: WindowInput, $filter: ${filterType}, $presetId: ID, $refresh: RefreshPolicy) {
  ${d.key}(window: $window, filter: $filter, presetId: $presetId, refresh: $refresh) {
    window { preset start end timezone granularity }
    ${panels}
  }
}`;
}

/// The query exporting one panel (the panel alone, same variables).
export function panelQuery(d, panel) {
  const filterType = `${d.key.charAt(0).toUpperCase()}${d.key.slice(1)}FilterInput`;
  return `query Export($window: WindowInput, $filter: ${filterType}, $presetId: ID) {
  ${d.key}(window: $window, filter: $filter, presetId: $presetId) { window { start end } ${selection(panel)} }
}`;
}

export function byKey(key) {
  return DASHBOARDS.find((d) => d.key === key) || DASHBOARDS[0];
}
