/**
 * Expense approval, end to end (run it with `npx tsx examples/expense-approval.ts`).
 *
 * The workflow validates an expense, approves small amounts on its own, and otherwise
 * asks a manager. A manager who does not answer in time is skipped: the request goes
 * to a director. An approved expense is paid by a child workflow, and the employee is
 * told the outcome.
 *
 * The program starts three expenses and plays the people: it lists the pending input
 * requests (`listPendingInputs`) and answers them (`provideInput`), like the back end
 * of an approval inbox would. It runs on PostgreSQL when DATABASE_URL is set, else on
 * embedded PGlite in ./.durable (relative to the current directory).
 *
 * The timeouts are seconds so that the demo ends quickly; in real life they would be
 * days (`days(2)`), and nothing would be held in memory while the workflow waits.
 */
import {
  createDurable,
  InvalidStateError,
  NonRetryableError,
  seconds,
  workflow,
  type PendingInput,
} from "../src/index.js";

type Expense = { id: string; employee: string; amount: number; description: string };
type Decision = "approved" | "rejected";

/** Expenses up to this amount (EUR) need nobody's approval. */
const AUTO_APPROVE_LIMIT = 100;
/** How long the manager has to answer before the director is asked. */
const MANAGER_TIMEOUT = seconds(10); // in real life: days(2)
/** How long the director has; no answer counts as a rejection. */
const DIRECTOR_TIMEOUT = seconds(60); // in real life: days(5)

// A bank API: a transfer with the same idempotency key is made only once, since steps run
// at least once (a crash after the transfer, before the checkpoint, runs the step again).
const transfers = new Map<string, { to: string; amount: number }>();
function bankTransfer(key: string, to: string, amount: number): string {
  if (!transfers.has(key)) transfers.set(key, { to, amount });
  return `TR-${key}`;
}

/** The child workflow: pays an approved expense. */
const payExpense = workflow<{ expenseId: string; employee: string; amount: number }>(
  "pay_expense",
).step("transfer", { retry: { maxAttempts: 5, baseDelay: 500 } }, (payment) => ({
  transferId: bankTransfer(payment.expenseId, payment.employee, payment.amount),
}));

const expenseApproval = workflow<Expense>("expense_approval")
  .step("validate", (expense) => {
    if (!Number.isFinite(expense.amount) || expense.amount <= 0)
      throw new NonRetryableError(`invalid amount ${expense.amount}`);
    if (expense.description.trim() === "") throw new NonRetryableError("a description is needed");
    return { ...expense, description: expense.description.trim() };
  })
  // Small amounts are approved at once; the others ("review", the default case) wait for people.
  .branch("route", (expense) => (expense.amount <= AUTO_APPROVE_LIMIT ? "auto" : "review"), {
    auto: (b) =>
      b.step("auto_approve", (expense) => ({
        ...expense,
        decision: "approved" as Decision,
        approvedBy: "policy",
      })),
    _: (b) =>
      b.step("ask_approvers", async (expense, ctx) => {
        const details = { expenseId: expense.id, amount: expense.amount };
        const prompt = `Approve ${expense.amount} EUR for "${expense.description}" by ${expense.employee}?`;
        // Suspends the execution (status "waiting") until provideInput or the timeout.
        const manager = await ctx.waitForApproval("manager", {
          prompt,
          metadata: details,
          timeout: MANAGER_TIMEOUT,
          timeoutValue: "timeout" as const,
        });
        if (manager !== "timeout") return { ...expense, decision: manager, approvedBy: "manager" };
        // No answer in time: escalate. (On every resume, the step runs again from its top
        // and the manager's wait returns its recorded answer: "timeout".)
        ctx.log.warn("manager did not answer in time, asking the director", details);
        const director = await ctx.waitForApproval("director", {
          prompt: `${prompt} (escalated: no answer from the manager)`,
          metadata: details,
          timeout: DIRECTOR_TIMEOUT,
          timeoutValue: "rejected" as const,
        });
        return { ...expense, decision: director, approvedBy: "director" };
      }),
  })
  // Only approved expenses are paid; a rejected one matches no case and skips the branch.
  .branch("payout", (expense) => expense.decision, {
    approved: (b) =>
      b.step("pay", async (expense, ctx) => {
        // One child execution, whatever happens: its id is derived from this execution,
        // this step and the call's ref, so a retried or resumed step finds the same child.
        const paid = await ctx.callWorkflow(payExpense, {
          expenseId: expense.id,
          employee: expense.employee,
          amount: expense.amount,
        });
        return { ...expense, transferId: paid.transferId };
      }),
  })
  .step("notify", (expense, ctx) => {
    const transferId = "transferId" in expense ? expense.transferId : null;
    const message = transferId
      ? `${expense.id}: ${expense.decision} by ${expense.approvedBy}, paid (transfer ${transferId})`
      : `${expense.id}: ${expense.decision} by ${expense.approvedBy}, not paid`;
    ctx.log.info(`mail to ${expense.employee}: ${message}`);
    return { expenseId: expense.id, decision: expense.decision, transferId, message };
  });

const durable = await createDurable({
  database: process.env.DATABASE_URL, // absent: embedded PGlite in ./.durable
  workflows: [expenseApproval, payExpense],
  captureLogs: { passthrough: false }, // keep the steps' logs in their records only
});

const expenses: Expense[] = [
  { id: "EXP-1", employee: "ada", amount: 42, description: "Taxi to the client" },
  { id: "EXP-2", employee: "grace", amount: 1200, description: "Conference ticket" },
  { id: "EXP-3", employee: "linus", amount: 4800, description: "Standing desks for the team" },
];

// Who answers what: the people, as the approval inbox's back end would see them.
function answerOf(request: PendingInput): Decision | "silence" {
  const { expenseId } = request.metadata as { expenseId: string };
  if (request.name === "manager") return expenseId === "EXP-2" ? "approved" : "silence";
  return "rejected"; // the director
}

const ids = new Map<string, string>(); // execution id -> expense id
for (const expense of expenses) {
  const id = await durable.start(expenseApproval, expense);
  ids.set(id, expense.id);
  console.log(`${expense.id}: submitted (${expense.amount} EUR)`);
}

// Play the people: look at the pending requests every 200 ms and answer them.
let playing = true;
const people = (async () => {
  const seen = new Set<string>();
  while (playing) {
    for (const request of await durable.listPendingInputs({ limit: 100 })) {
      if (!ids.has(request.workflowId) || seen.has(request.id)) continue;
      seen.add(request.id);
      const expenseId = ids.get(request.workflowId)!;
      console.log(`${expenseId}: ${request.name} asked: ${request.prompt}`);
      const answer = answerOf(request);
      if (answer === "silence") {
        const wait = Math.round(((request.timeoutAt?.getTime() ?? Date.now()) - Date.now()) / 1000);
        console.log(`${expenseId}: the ${request.name} does not answer (timeout in ${wait} s)`);
        continue;
      }
      try {
        await durable.provideInput(request.workflowId, request.name, answer);
        console.log(`${expenseId}: the ${request.name} answers ${answer}`);
      } catch (err) {
        // Too late (the request timed out meanwhile) or answered elsewhere: nothing consumed.
        if (!(err instanceof InvalidStateError)) throw err;
        console.log(`${expenseId}: the ${request.name}'s answer came too late`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
})();

const results = await Promise.all(
  [...ids.keys()].map((id) => durable.result<typeof expenseApproval>(id, { timeout: 120_000 })),
);
playing = false;
await people;

for (const result of results) console.log(result.message);
const [, second] = [...ids.keys()];
const children = await durable.listChildren(second!);
console.log(`EXP-2 was paid by child execution ${children[0]?.workflow} (${children[0]?.status})`);

await durable.close();
