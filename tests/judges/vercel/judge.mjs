// The Vercel AI SDK as a judge: every case of argv[3] (JSON [[provider, route, scenario]])
// against the gateway at argv[2]; prints one JSON object {"provider|route|scenario": outcome}.
// An outcome is {text, reasoning} or {error: {name, statusCode, message}}; test_vercel_ai.py judges it.
import { APICallError, Output, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';

// The SDK logs its warnings to stdout, which carries the results.
globalThis.AI_SDK_LOG_WARNINGS = false;
const [gateway, casesJson, apiKey] = process.argv.slice(2);
const PROMPT = 'What is the weather in Paris?';
const SCHEMA = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };

const openai = createOpenAI({ baseURL: `${gateway}/v1`, apiKey });
const PROVIDERS = {
  openai_chat: (route) => openai.chat(route),
  openai_responses: (route) => openai.responses(route),
  anthropic: (route) => createAnthropic({ baseURL: `${gateway}/v1`, apiKey })(route),
  google: (route) => createGoogleGenerativeAI({ baseURL: `${gateway}/v1beta`, apiKey })(route),
};
const THINKING = {
  // forceReasoning: the SDK knows reasoning models by their OpenAI names, not the demo routes'.
  openai: { reasoningEffort: 'low', reasoningSummary: 'auto', forceReasoning: true },
  anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } },
  google: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
};
const tools = {
  get_weather: tool({
    description: 'Current weather for a place',
    inputSchema: jsonSchema(SCHEMA),
    execute: async ({ location }) => `21C and sunny in ${location}`,
  }),
};

async function streamed(options) {
  const result = streamText({ ...options, onError: () => {} });
  return { text: await result.text, reasoning: (await result.steps)[0]?.reasoningText ?? '' };
}

const SCENARIOS = {
  text: async (model) => {
    const out = await generateText({ model, prompt: 'hi there', maxRetries: 0 });
    return { text: out.text, outputTokens: out.usage.outputTokens };
  },
  stream: (model) => streamed({ model, prompt: 'stream please', maxRetries: 0 }),
  multi_turn: async (model) => {
    // The assistant turn as the SDK recorded it: a Responses model sends it back as an
    // item_reference to the stored output item (stateful Responses), the others as text.
    const first = await generateText({ model, prompt: 'hi', maxRetries: 0 });
    const messages = [{ role: 'user', content: 'hi' }, ...first.response.messages,
      { role: 'user', content: 'tell me more' }];
    return { text: (await generateText({ model, messages, maxRetries: 0 })).text };
  },
  tool: async (model) => {
    const out = await generateText({ model, prompt: PROMPT, tools, stopWhen: stepCountIs(3), maxRetries: 0 });
    return { text: out.text };
  },
  tool_stream: (model) => streamed({ model, prompt: PROMPT, tools, stopWhen: stepCountIs(3), maxRetries: 0 }),
  structured: async (model) => {
    // Each provider's own field (response_format, text.format, output_config.format,
    // responseSchema); Anthropic's would be a forced 'json' tool for a name it does not know.
    const out = await generateText({ model, prompt: PROMPT, output: Output.object({ schema: jsonSchema(SCHEMA) }),
      maxRetries: 0, providerOptions: { anthropic: { structuredOutputMode: 'outputFormat' } } });
    return { output: out.output };
  },
  thinking_tool: async (model, provider) => {
    const key = provider.startsWith('openai') ? 'openai' : provider;
    const out = await generateText({ model, prompt: PROMPT, tools, stopWhen: stepCountIs(3), maxRetries: 0,
      providerOptions: { [key]: THINKING[key] } });
    return { text: out.text, reasoning: out.steps[0]?.reasoningText ?? '' };
  },
};

async function run([provider, route, scenario]) {
  try {
    return await SCENARIOS[scenario](PROVIDERS[provider](route), provider);
  } catch (err) {
    const name = APICallError.isInstance(err) ? 'APICallError' : err?.name ?? String(err);
    return { error: { name, statusCode: err?.statusCode ?? null, message: String(err?.message ?? err),
      cause: String(err?.cause?.message ?? '').slice(0, 600) } };
  }
}

const results = {};
for (const c of JSON.parse(casesJson)) results[c.join('|')] = await run(c);
process.stdout.write(JSON.stringify(results));
