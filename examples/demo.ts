/**
 * The demo behind `npm start`: an engine on embedded PGlite in ./.durable runs a few
 * workflows (one flaky step that succeeds on retry, one that fails for good) and
 * prints their progress step by step until all are finished.
 */
import { createDurable, NonRetryableError, workflow, type LifecycleEvent } from "../src/index.js";

type Order = { orderId: string; items: { sku: string; price: number }[] };

const processOrder = workflow<Order>("process_order")
  .step("validate", (order) => {
    if (order.items.length === 0) throw new NonRetryableError("an order needs items");
    return { orderId: order.orderId, total: order.items.reduce((sum, i) => sum + i.price, 0) };
  })
  .step("reserve_stock", async (data, ctx) => {
    ctx.log.info("reserving stock", { orderId: data.orderId });
    await new Promise((r) => setTimeout(r, 50));
    return { ...data, reserved: true };
  })
  .step("send_confirmation", (data) => ({ ...data, confirmed: true }));

// A step that fails on its first two attempts (a flaky API), then succeeds.
const attempts = new Map<string, number>();
const syncInventory = workflow<{ warehouse: string }>("sync_inventory")
  .step(
    "call_flaky_api",
    { retry: { maxAttempts: 5, backoff: "exponential", baseDelay: 200 } },
    (input, ctx) => {
      const n = (attempts.get(ctx.workflowId) ?? 0) + 1;
      attempts.set(ctx.workflowId, n);
      if (n < 3) throw new Error(`warehouse API timed out (attempt ${ctx.attempt})`);
      return { warehouse: input.warehouse, synced: 42 };
    },
  )
  .step("record", (data) => ({ ...data, recordedAt: new Date() }));

// A workflow that fails for good: its step is out of attempts.
const chargeCard = workflow<{ card: string }>("charge_card").step(
  "charge",
  { retry: { maxAttempts: 2, baseDelay: 100 } },
  () => {
    throw new Error("card declined");
  },
);

const durable = await createDurable({
  workflows: [processOrder, syncInventory, chargeCard],
  captureLogs: { passthrough: false },
});

const short = (id: string) => id.slice(0, 8);
durable.on("*", (e: LifecycleEvent) => {
  const where = e.step ? ` ${e.step} (attempt ${e.attempt})` : "";
  const why = e.error ? `: ${e.error.message}` : "";
  console.log(`${short(e.executionId)} ${e.workflow.padEnd(15)} ${e.type}${where}${why}`);
});

const ids = [
  await durable.start(processOrder, { orderId: "A-1", items: [{ sku: "book", price: 12 }] }),
  await durable.start(processOrder, {
    orderId: "A-2",
    items: [
      { sku: "pen", price: 2 },
      { sku: "ink", price: 5 },
    ],
  }),
  await durable.start(syncInventory, { warehouse: "north" }),
  await durable.start(chargeCard, { card: "4242" }),
];

let failed = 0;
for (const id of ids) {
  try {
    const output = await durable.result(id, { timeout: 30_000 });
    console.log(`✔ ${short(id)} completed:`, JSON.stringify(output));
  } catch (err) {
    failed++;
    console.log(`✘ ${short(id)} ${(err as Error).message}`);
  }
}
const total = await durable.countExecutions();
console.log(
  `\n${ids.length - failed} completed, ${failed} failed (as expected). ${total} executions stored in ./.durable so far.`,
);
await durable.close();
